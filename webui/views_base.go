package webui

// baseViews are the plain pages: an error, a message, a legal text.
func baseViews() map[string]pageView {
	return map[string]pageView{
		"error": {content: func(w *UI, m *markup, p page) {
			m.f("\n<section class=\"card narrow\">\n<h1>%s</h1>\n<p>%s</p>\n</section>\n",
				get[string](p, "Title"), get[string](p, "Message"))
		}},
		"message": {content: func(w *UI, m *markup, p page) {
			m.f("\n<section class=\"card narrow\">\n<h1>%s</h1>\n", get[string](p, "Title"))
			for _, para := range get[[]string](p, "Paras") {
				m.f("<p>%s</p>", para)
			}
			m.raw("\n")
			if get[bool](p, "SignInLink") {
				m.raw(`<p><a class="btn" href="/auth/sign_in">Sign in</a></p>`)
			}
			m.raw("\n</section>\n")
		}},
		"admin_error": {content: func(w *UI, m *markup, p page) {
			m.raw("\n<h1 class=\"section\">Administration</h1>\n")
			adminNav(m, p)
			m.f("\n<section class=\"card narrow console-refusal\">\n<h2>%s</h2>\n<p>%s</p>\n</section>\n",
				get[string](p, "Title"), get[string](p, "Message"))
		}},
		"legal": {content: func(w *UI, m *markup, p page) {
			m.f("\n<section class=\"card prose\"><h1>%s</h1>%h</section>\n", get[string](p, "Title"), get[safeHTML](p, "Body"))
		}},
	}
}
