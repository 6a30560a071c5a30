package blocklist_test

import (
	"github.com/credence-go/credence/blocklist"
	"github.com/credence-go/credence/jwt"
	"github.com/credence-go/credence/rotation"
	"github.com/credence-go/credence/session"
)

// A List is what the other packages' small interfaces expect of it.
var (
	_ jwt.RevocationChecker = (*blocklist.List)(nil)
	_ rotation.Revoker      = (*blocklist.List)(nil)
	_ session.Revoker       = (*blocklist.List)(nil)
)
