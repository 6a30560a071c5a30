package session

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
)

// Action is what the anomaly policy does when a signal fires.
type Action int

const (
	// Allow accepts the change silently and adopts the new value.
	Allow Action = iota + 1
	// Alert accepts the change, adopts the new value and emits an anomaly
	// event (and a warning log).
	Alert
	// RequireStepUp keeps the session but marks it StepUpRequired: Validate
	// returns ErrStepUpRequired until Reauthenticate.
	RequireStepUp
	// Terminate revokes the session at once; Validate returns ErrAnomaly.
	Terminate
)

func (a Action) String() string {
	switch a {
	case Allow:
		return "allow"
	case Alert:
		return "alert"
	case RequireStepUp:
		return "step-up"
	case Terminate:
		return "terminate"
	}
	return "unknown"
}

// Signal names what changed between two uses of a session.
type Signal string

const (
	SignalCountry   Signal = "country"    // the GeoResolver places the new IP in another country
	SignalIP        Signal = "ip"         // another IP, same (or unknown) country
	SignalUserAgent Signal = "user_agent" // another User-Agent header
)

// AnomalyPolicy chooses an Action per signal. A zero field takes the default
// of DefaultAnomalyPolicy. Only one of SignalCountry and SignalIP fires for one
// change of address: SignalCountry when both the old and the new country are
// known and differ, SignalIP otherwise. Without a GeoResolver only SignalIP
// can fire. When several signals fire, the strictest action applies.
type AnomalyPolicy struct {
	CountryChange   Action
	IPChange        Action
	UserAgentChange Action
}

// DefaultAnomalyPolicy: a change of country terminates the session; a new IP
// in the same country or a new User-Agent is allowed with an event (mobile
// clients change networks, browsers update their UA string).
func DefaultAnomalyPolicy() AnomalyPolicy {
	return AnomalyPolicy{CountryChange: Terminate, IPChange: Alert, UserAgentChange: Alert}
}

func (p AnomalyPolicy) withDefaults() (AnomalyPolicy, error) {
	d := DefaultAnomalyPolicy()
	for _, f := range []struct{ v, def *Action }{{&p.CountryChange, &d.CountryChange}, {&p.IPChange, &d.IPChange}, {&p.UserAgentChange, &d.UserAgentChange}} {
		switch {
		case *f.v == 0:
			*f.v = *f.def
		case *f.v < Allow || *f.v > Terminate:
			return p, fmt.Errorf("%w: anomaly action %d", ErrInvalidOption, *f.v)
		}
	}
	return p, nil
}

// GeoResolver places an IP address in a country. Country returns an ISO
// 3166-1 alpha-2 code, or "" with a nil error when the address is unknown (a
// private range, a gap in the database); an error means the resolver failed,
// and Validate then fails closed with that error. It must be safe for
// concurrent use and fast: it runs on requests whose IP changed.
type GeoResolver interface {
	Country(ctx context.Context, ip netip.Addr) (string, error)
}

// StaticGeoResolver resolves addresses from a fixed table of prefixes; the
// longest matching prefix wins. It is meant for tests, examples and small
// internal deployments; real deployments plug a GeoIP database in through
// GeoResolver.
type StaticGeoResolver struct {
	prefixes []netip.Prefix // longest first
	country  map[netip.Prefix]string
}

var _ GeoResolver = (*StaticGeoResolver)(nil)

// NewStaticGeoResolver copies table; invalid prefixes are ignored.
func NewStaticGeoResolver(table map[netip.Prefix]string) *StaticGeoResolver {
	g := &StaticGeoResolver{country: make(map[netip.Prefix]string, len(table))}
	for p, c := range table {
		if !p.IsValid() {
			continue
		}
		p = p.Masked()
		g.country[p] = c
		g.prefixes = append(g.prefixes, p)
	}
	sort.Slice(g.prefixes, func(i, j int) bool { return g.prefixes[i].Bits() > g.prefixes[j].Bits() })
	return g
}

// Country implements GeoResolver.
func (g *StaticGeoResolver) Country(_ context.Context, ip netip.Addr) (string, error) {
	ip = ip.Unmap()
	for _, p := range g.prefixes {
		if p.Contains(ip) {
			return g.country[p], nil
		}
	}
	return "", nil
}

// finding is one fired signal.
type finding struct {
	signal   Signal
	action   Action
	from, to string
}

// assess compares the stored record with the client and returns what fired,
// the strictest action, and the country of the client's IP.
func (m *Manager) assess(ctx context.Context, r Record, c ClientInfo) ([]finding, Action, string, error) {
	var found []finding
	country := r.Country
	if c.IP.IsValid() && c.IP != r.IP {
		newCountry := ""
		if m.geo != nil {
			var err error
			newCountry, err = m.geo.Country(ctx, c.IP)
			if err != nil {
				return nil, 0, "", fmt.Errorf("session: geo resolver: %w", err)
			}
		}
		if r.Country != "" && newCountry != "" && newCountry != r.Country {
			found = append(found, finding{SignalCountry, m.policy.CountryChange, r.Country, newCountry})
		} else {
			found = append(found, finding{SignalIP, m.policy.IPChange, addrString(r.IP), c.IP.String()})
		}
		if newCountry != "" {
			country = newCountry
		}
	}
	if c.UserAgent != r.UserAgent {
		found = append(found, finding{SignalUserAgent, m.policy.UserAgentChange, r.UserAgent, c.UserAgent})
	}
	worst := Allow
	for _, f := range found {
		worst = max(worst, f.action)
	}
	return found, worst, country, nil
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
