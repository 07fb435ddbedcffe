package api

import (
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// iso6391 are the ISO 639-1 codes a status's language may take (Mastodon
// lists these and a few ISO 639-3 ones).
const iso6391 = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy " +
	"da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz " +
	"ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv " +
	"mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu " +
	"rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty " +
	"ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"

type languageJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

var languageList = sync.OnceValue(func() []languageJSON {
	names := display.English.Languages()
	var out []languageJSON
	for _, code := range strings.Fields(iso6391) {
		name := names.Name(language.Make(code))
		if name == "" {
			name = code
		}
		out = append(out, languageJSON{Code: code, Name: name})
	}
	return out
})

// instanceLanguages is GET /api/v1/instance/languages: the languages a
// status may be written in, as Mastodon's {code, name} list.
func (a *API) instanceLanguages(c echo.Context) error {
	return c.JSON(http.StatusOK, languageList())
}
