package core_test

import (
	"net/http"
	"testing"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		in   core.PageParams
		want model.Page
		bad  bool
	}{
		{in: core.PageParams{}, want: model.Page{Limit: 20}},
		{in: core.PageParams{MaxID: "123", SinceID: " 45 ", MinID: "6", Limit: "30"}, want: model.Page{MaxID: 123, SinceID: 45, MinID: 6, Limit: 30}},
		{in: core.PageParams{MaxID: "0"}, want: model.Page{Limit: 20}},
		{in: core.PageParams{Limit: "500"}, want: model.Page{Limit: 40}},
		{in: core.PageParams{Limit: "0"}, want: model.Page{Limit: 1}},
		{in: core.PageParams{Limit: "-3"}, want: model.Page{Limit: 1}},
		{in: core.PageParams{MaxID: "-1"}, bad: true},
		{in: core.PageParams{SinceID: "-9"}, bad: true},
		{in: core.PageParams{MinID: "abc"}, bad: true},
		{in: core.PageParams{MaxID: "1e3"}, bad: true},
		{in: core.PageParams{MaxID: "99999999999999999999"}, bad: true},
		{in: core.PageParams{Limit: "ten"}, bad: true},
	} {
		got, err := core.ParsePage(tc.in, 20, 40)
		if tc.bad {
			if err == nil || herr.As(err).Status != http.StatusBadRequest {
				t.Errorf("%+v: got %+v, %v; want a 400", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}
