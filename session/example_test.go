package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/credence-go/credence/session"
	"github.com/credence-go/credence/session/sessiontest"
)

func Example() {
	ctx := context.Background()
	clock := sessiontest.NewClock(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	m, err := session.NewManager(session.NewMemoryStore(), session.WithClock(clock.Now))
	if err != nil {
		panic(err)
	}
	client := session.ClientInfo{IP: netip.MustParseAddr("192.0.2.10"), UserAgent: "Firefox/140"}

	s, token, _ := m.Create(ctx, "alice", client) // hand token to the client; keep s.ID for listing
	got, err := m.Validate(ctx, token, client)
	fmt.Println(got.UserID, err, got.ExpiresAt.Sub(s.CreatedAt))

	clock.Advance(31 * time.Minute) // idle for longer than the idle timeout
	_, err = m.Validate(ctx, token, client)
	fmt.Println(err)

	_, token, _ = m.Create(ctx, "alice", client)
	renewed, _ := m.Renew(ctx, token) // after a privilege change
	_, err = m.Validate(ctx, token, client)
	fmt.Println("old token:", err)
	got, _ = m.Validate(ctx, renewed, client)
	_ = m.Revoke(ctx, got.ID)
	_, err = m.Validate(ctx, renewed, client)
	fmt.Println("after revoke:", err)
	// Output:
	// alice <nil> 12h0m0s
	// session: expired
	// old token: session: not found
	// after revoke: session: not found
}

func ExampleWithMaxSessions() {
	ctx := context.Background()
	clock := sessiontest.NewClock(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	m, _ := session.NewManager(session.NewMemoryStore(),
		session.WithClock(clock.Now),
		session.WithMaxSessions(2, session.EvictOldest),
		session.WithEvents(func(_ context.Context, e session.Event) { fmt.Println("event:", e.Type) }))
	var c session.ClientInfo
	_, first, _ := m.Create(ctx, "alice", c) // on a phone
	clock.Advance(time.Minute)
	_, _, _ = m.Create(ctx, "alice", c) // on a laptop
	clock.Advance(time.Minute)
	_, _, _ = m.Create(ctx, "alice", c) // on a tablet: evicts the phone's session
	_, err := m.Validate(ctx, first, c)
	list, _ := m.List(ctx, "alice")
	fmt.Println(err, len(list))
	// Output:
	// event: created
	// event: created
	// event: evicted
	// event: created
	// session: not found 2
}

func ExampleWithAnomalyPolicy() {
	ctx := context.Background()
	geo := session.NewStaticGeoResolver(map[netip.Prefix]string{
		netip.MustParsePrefix("192.0.2.0/24"):    "FR",
		netip.MustParsePrefix("198.51.100.0/24"): "DE",
	})
	m, _ := session.NewManager(session.NewMemoryStore(),
		session.WithGeoResolver(geo),
		session.WithAnomalyPolicy(session.DefaultAnomalyPolicy()),
		session.WithEvents(func(_ context.Context, e session.Event) {
			if e.Type == session.EventAnomaly {
				fmt.Printf("anomaly: %s %s -> %s (%s)\n", e.Signal, e.From, e.To, e.Action)
			}
		}))
	paris := session.ClientInfo{IP: netip.MustParseAddr("192.0.2.10"), UserAgent: "Firefox/140"}
	_, token, _ := m.Create(ctx, "alice", paris)

	lyon := session.ClientInfo{IP: netip.MustParseAddr("192.0.2.77"), UserAgent: "Firefox/140"}
	_, err := m.Validate(ctx, token, lyon)
	fmt.Println("from Lyon:", err)

	berlin := session.ClientInfo{IP: netip.MustParseAddr("198.51.100.20"), UserAgent: "Firefox/140"}
	_, err = m.Validate(ctx, token, berlin)
	fmt.Println("from Berlin:", errors.Is(err, session.ErrAnomaly))
	_, err = m.Validate(ctx, token, lyon)
	fmt.Println("back in Lyon:", err)
	// Output:
	// anomaly: ip 192.0.2.10 -> 192.0.2.77 (alert)
	// from Lyon: <nil>
	// anomaly: country FR -> DE (terminate)
	// from Berlin: true
	// back in Lyon: session: not found
}

func ExampleManager_RequireRecentAuth() {
	clock := sessiontest.NewClock(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	m, _ := session.NewManager(session.NewMemoryStore(), session.WithClock(clock.Now))
	pay := m.Middleware(m.RequireRecentAuth(5 * time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "paid")
	})))

	w := httptest.NewRecorder()
	login := httptest.NewRequest("POST", "/login", nil)
	_, _ = m.Login(w, login, "alice")
	cookie := w.Result().Cookies()[0]
	fmt.Println(w.Result().Header.Get("Cache-Control"), cookie.Name, cookie.Secure, cookie.HttpOnly, cookie.SameSite == http.SameSiteLaxMode)

	call := func(c *http.Cookie) int {
		r := httptest.NewRequest("POST", "/pay", nil)
		r.AddCookie(c)
		w := httptest.NewRecorder()
		pay.ServeHTTP(w, r)
		return w.Code
	}
	fmt.Println(call(cookie))
	clock.Advance(10 * time.Minute)
	fmt.Println(call(cookie))
	token, _ := m.Reauthenticate(context.Background(), cookie.Value) // after checking the password again
	fmt.Println(call(&http.Cookie{Name: cookie.Name, Value: token}))
	// Output:
	// no-store __Host-session true true true
	// 200
	// 403
	// 200
}

func ExampleClientInfoFromRequest() {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:41000" // the load balancer
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.9")
	r.Header.Set("User-Agent", "Firefox/140")

	fmt.Println(session.ClientInfoFromRequest(r).IP)
	fmt.Println(session.ClientInfoFromRequest(r, netip.MustParsePrefix("10.0.0.0/8")).IP)
	// Output:
	// 10.0.0.2
	// 203.0.113.9
}
