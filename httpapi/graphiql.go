package httpapi

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

// GraphiQL is served by usergraph itself, so it works without internet
// access: the page (graphiql/page.html) and GraphiQL's bundle
// (graphiql/assets/, built from tools/graphiql by `npm run build` and
// committed; tools/graphiql/README.md) are embedded in the binary. The page
// preloads a walkthrough of the API (graphiql/walkthrough.graphql, with
// its variables), run by e2e tests against the server.
//
//go:embed graphiql/page.html graphiql/walkthrough.graphql graphiql/walkthrough.variables.json
var graphiqlPage embed.FS

//go:embed graphiql/assets/graphiql.js graphiql/assets/graphiql.css
var graphiqlBundle embed.FS

// graphiqlAssetsPath is where the bundle is mounted; the page names it
// relative to itself (it is served at / and /graphiql), so it also works
// behind a proxy that mounts usergraph under a path.
const graphiqlAssetsPath = "/graphiql/assets/"

// graphiqlPolicy is the page policy, plus what GraphiQL's bundle needs:
// its stylesheet embeds its fonts as data: URLs. (Its menus' <style>
// elements carry the page's style nonce: pages.go.)
var graphiqlPolicy = basePolicy.with("font-src", "data:")

// graphiQL returns the GraphiQL page and the handler of its assets.
func graphiQL() (pageHandler, bundle http.Handler, err error) {
	sub, err := fs.Sub(graphiqlBundle, "graphiql/assets")
	if err != nil {
		return nil, nil, err
	}
	a, err := newAssets(sub)
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := template.New("page.html").Funcs(template.FuncMap{
		"asset": func(name string) (string, error) {
			u, err := a.URL(name)
			return "graphiql/assets/" + u, err
		},
	}).ParseFS(graphiqlPage, "graphiql/page.html")
	if err != nil {
		return nil, nil, err
	}
	query, err := fs.ReadFile(graphiqlPage, "graphiql/walkthrough.graphql")
	if err != nil {
		return nil, nil, err
	}
	variables, err := fs.ReadFile(graphiqlPage, "graphiql/walkthrough.variables.json")
	if err != nil {
		return nil, nil, err
	}
	data := struct{ Query, Variables string }{string(query), string(variables)}
	if err := checkPage(tmpl, data); err != nil {
		return nil, nil, err
	}
	p := page{tmpl: tmpl, policy: graphiqlPolicy, cache: "no-cache"}
	pageHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serve(w, r, http.StatusOK, func(nonce string) any { return pageData{Nonce: nonce, Page: data} })
	})
	return pageHandler, http.StripPrefix(graphiqlAssetsPath, a), nil
}
