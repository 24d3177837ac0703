package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// GraphiQL in a real browser: headless Chromium loads the page the server
// serves at /, with the machine's network closed as it is here, signs up
// and runs `{ me { id } }` by typing into GraphiQL's editor and pressing its
// run button, and reads the answer from the page. The page may ask nothing
// of another origin and its Content-Security-Policy must refuse nothing it
// uses. Skipped where no Chromium is installed (.ci/run installs Debian's).

// chromiumPath finds Chromium: USERGRAPH_TEST_CHROMIUM, else the usual
// names on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("USERGRAPH_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium installed (apt-get install chromium, or set USERGRAPH_TEST_CHROMIUM): the browser tests (GraphiQL, the hosted pages) are skipped")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and nothing
// that would reach the network on its own (chromedp's defaults, which are
// Puppeteer's, and the flags this machine's closed network asks for).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// In the page: GraphiQL's editors are CodeMirror 5 instances, reachable
// from their elements.
const (
	queryEditorJS    = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`
	responseEditorJS = `document.querySelector('.graphiql-response .CodeMirror').CodeMirror`
)

// runInGraphiQL puts query (one operation) into GraphiQL's query editor,
// presses the run button and returns the answer GraphiQL shows, once it
// shows one that contains want.
func runInGraphiQL(t *testing.T, ctx context.Context, query, want string) map[string]any {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](responseEditorJS+`.setValue(''); `+queryEditorJS+`.setValue(`+jsString(query)+`)`),
		// GraphiQL parses the editor's text a moment later; until then it
		// still sees the walkthrough's operations, and its run button
		// would offer them in a menu instead of running.
		chromedp.Poll[chromedp.Void](`(() => { const cm = `+queryEditorJS+`; return cm.operations && cm.operations.length === 1 && cm.getValue() === `+jsString(query)+` })()`,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
	)
	if err != nil {
		t.Fatalf("running %q in GraphiQL: %v", query, err)
	}
	return waitForAnswer(t, ctx, query, want)
}

// waitForAnswer returns the answer GraphiQL shows, once it contains want.
func waitForAnswer(t *testing.T, ctx context.Context, what, want string) map[string]any {
	t.Helper()
	shown, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const v = `+responseEditorJS+`.getValue(); return v.includes(`+jsString(want)+`) ? v : null })()`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		now, _ := chromedp.Run(ctx, chromedp.Evaluate[string](responseEditorJS+`.getValue()`))
		t.Fatalf("running %s in GraphiQL: %v (the response pane shows %q)", what, err, now)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(shown), &out); err != nil {
		t.Fatalf("GraphiQL shows %q, which is not a JSON answer", shown)
	}
	return out
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestGraphiQLInChromium(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	ts := startServer(t)

	// Every request the page makes, and every CSP violation it meets.
	var mu sync.Mutex
	var requests []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cspViolations = [];
			document.addEventListener('securitypolicyviolation', e =>
				window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));`,
	}); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-query-editor .CodeMirror`)),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
	)
	if err != nil {
		t.Fatalf("load GraphiQL: %v", err)
	}

	preloaded, err := chromedp.Run(ctx, chromedp.Evaluate[string](queryEditorJS+`.getValue()`))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"mutation Signup", "query Me", "mutation Logout"} {
		if !strings.Contains(preloaded, op) {
			t.Errorf("the preloaded walkthrough lacks %q:\n%s", op, preloaded)
		}
	}
	// On a first visit the variables editor holds the walkthrough's too.
	tools, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].map(e => e.CodeMirror.getValue()).join('\n')`))
	if err != nil || !strings.Contains(tools, `"refreshToken"`) {
		t.Errorf("the variables editor shows %q (err %v), want the walkthrough's refreshToken variable", tools, err)
	}

	// Sign up as the walkthrough does, picking its Signup from the menu the
	// run button opens: a same-origin POST that passes the cross-origin
	// check, whose cookie then signs in the page.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="menuitem"]`)),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('[role="menuitem"]')].find(e => e.textContent.trim() === 'Signup').click()`),
	)
	if err != nil {
		t.Fatalf("run the walkthrough's Signup: %v", err)
	}
	signup := waitForAnswer(t, ctx, "the walkthrough's Signup", `"signup"`)
	id, _ := dig(signup, "data", "signup", "user", "id").(string)
	if id == "" {
		t.Fatalf("the walkthrough's Signup in GraphiQL answered %v", signup)
	}
	me := runInGraphiQL(t, ctx, `{ me { id } }`, `"me"`)
	if got := dig(me, "data", "me", "id"); got != id {
		t.Errorf("{ me { id } } in GraphiQL: me.id = %v, want %s, the account signed up (answer %v)", got, id, me)
	}

	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.cspViolations`))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Errorf("the Content-Security-Policy refused what the page uses:\n%s", strings.Join(violations, "\n"))
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range requests {
		if !strings.HasPrefix(u, ts.url+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s, which is not this server", u)
		}
	}
	if len(requests) < 4 { // the page, its script and stylesheet, the GraphQL requests
		t.Errorf("saw only %d requests (%q): the listener is not working", len(requests), requests)
	}
}

// dig walks nested JSON objects by keys.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
