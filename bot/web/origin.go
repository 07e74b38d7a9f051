package web

import (
	"net/http"
	"net/url"
	"strings"
)

// SameOrigin checks what the browser says about where a request comes
// from: Sec-Fetch-Site if sent, and Origin if sent, must name this site.
// Browsers send at least one of them on every POST, so a request with
// neither is refused too: for requests a browser made with the user's
// cookies.
func SameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	origin := r.Header.Get("Origin")
	if site == "" && origin == "" {
		return false
	}
	if site != "" && site != "same-origin" {
		return false
	}
	return origin == "" || sameHost(origin, r.Host)
}

// CrossSite tells that the browser says the request comes from a page of
// another site. Requests without those headers (curl, scripts) pass: for
// endpoints that carry no cookie, where only a page elsewhere driving the
// user's browser is to be kept out.
func CrossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		return !sameHost(origin, r.Host)
	}
	return false
}

func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, host)
}
