// Package blocklisttest is the conformance suite for blocklist.Store
// implementations, in the style of testing/slogtest and x/net/nettest: one
// Run, a factory, each case a named subtest.
//
// A store that passes needs no further tests of the core semantics. The
// suite drives time itself (a fixed fake clock passed as now), so a store
// must take "now" only from its caller.
package blocklisttest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credence-go/credence/blocklist"
)

// t0 is the suite's fake "now": far from the real clock on purpose, so a
// store that reads its own clock to decide validity fails.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

const caseTimeout = 20 * time.Second

// Run runs the conformance suite. newStore must return a new, empty store
// for each call (for example under a fresh key prefix); the suite calls it
// once per case.
func Run(t *testing.T, newStore func(t *testing.T) blocklist.Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			c.fn(ctx, t, newStore(t))
		})
	}
}

type testCase struct {
	name string
	fn   func(ctx context.Context, t *testing.T, s blocklist.Store)
}

var cases = []testCase{
	{"EachKindIsStoredAsGiven", eachKindIsStoredAsGiven},
	{"KindsAreSeparate", kindsAreSeparate},
	{"ExpiredEntryLeavesSnapshot", expiredEntryLeavesSnapshot},
	{"AlreadyExpiredEntryIsSkipped", alreadyExpiredEntryIsSkipped},
	{"RevokeIsIdempotent", revokeIsIdempotent},
	{"MergeKeepsLaterExpiry", mergeKeepsLaterExpiry},
	{"SubjectWatermarkOnlyMovesForward", subjectWatermarkOnlyMovesForward},
	{"InvalidEntriesAreRefusedAndNothingIsWritten", invalidEntriesAreRefused},
	{"TimesAreRoundedTowardsRevoking", timesAreRoundedTowardsRevoking},
	{"FarFutureExpiryRoundTrips", farFutureExpiryRoundTrips},
	{"LongAndOddIDsRoundTrip", longAndOddIDsRoundTrip},
	{"SnapshotIsACopy", snapshotIsACopy},
	{"FeedDeliversChangesInOrder", feedDeliversChangesInOrder},
	{"FeedCarriesTheMergedEntry", feedCarriesTheMergedEntry},
	{"FeedHeartbeatWhenIdle", feedHeartbeatWhenIdle},
	{"FeedWakesAWaitingFollower", feedWakesAWaitingFollower},
	{"FeedResumesAfterReconnect", feedResumesAfterReconnect},
	{"FeedCatchesAFollowerUpToTheHead", feedCatchesAFollowerUpToTheHead},
	{"FeedRefusesForeignOrFutureCursor", feedRefusesForeignOrFutureCursor},
	{"ConcurrentRevokesOfOneIDMerge", concurrentRevokesOfOneIDMerge},
	{"SnapshotThenFeedLosesNothingUnderConcurrency", snapshotThenFeedLosesNothing},
}

func tok(id string, exp time.Time) blocklist.Entry {
	return blocklist.Entry{Kind: blocklist.KindToken, ID: id, ExpiresAt: exp}
}

func sess(id string, exp time.Time) blocklist.Entry {
	return blocklist.Entry{Kind: blocklist.KindSession, ID: id, ExpiresAt: exp}
}

func subj(id string, wm, exp time.Time) blocklist.Entry {
	return blocklist.Entry{Kind: blocklist.KindSubject, ID: id, ExpiresAt: exp, Watermark: wm}
}

// snapshot returns the store's live entries keyed by kind and ID.
func snapshot(ctx context.Context, t *testing.T, s blocklist.Store, now time.Time) (map[string]blocklist.Entry, blocklist.Cursor) {
	t.Helper()
	snap, err := s.Snapshot(ctx, now)
	require.NoError(t, err)
	out := make(map[string]blocklist.Entry, len(snap.Entries))
	for _, e := range snap.Entries {
		k := key(e)
		if old, ok := out[k]; ok {
			e = old.Merge(e) // a store may return an entry twice
		}
		out[k] = e
	}
	return out, snap.Cursor
}

func key(e blocklist.Entry) string { return e.Kind.String() + "/" + e.ID }

// assertEntry compares an entry's fields, times by instant.
func assertEntry(t *testing.T, want, got blocklist.Entry) {
	t.Helper()
	assert.Equal(t, want.Kind, got.Kind)
	assert.Equal(t, want.ID, got.ID)
	assert.True(t, want.ExpiresAt.Equal(got.ExpiresAt), "ExpiresAt: want %v, got %v", want.ExpiresAt, got.ExpiresAt)
	assert.True(t, want.Watermark.Equal(got.Watermark), "Watermark: want %v, got %v", want.Watermark, got.Watermark)
}

// collect follows the feed from c until it has n changes.
func collect(ctx context.Context, t *testing.T, s blocklist.Store, c blocklist.Cursor, n int) ([]blocklist.Change, blocklist.Cursor) {
	t.Helper()
	var out []blocklist.Change
	for len(out) < n {
		require.NoError(t, ctx.Err(), "feed delivered %d of %d changes", len(out), n)
		chs, next, err := s.Changes(ctx, c, time.Second)
		require.NoError(t, err)
		if len(chs) > 0 {
			require.Equal(t, chs[len(chs)-1].Seq, next.Seq, "the cursor points at the last change returned")
		}
		out = append(out, chs...)
		c = next
	}
	return out, c
}

func eachKindIsStoredAsGiven(ctx context.Context, t *testing.T, s blocklist.Store) {
	entries := []blocklist.Entry{
		tok("jti-1", t0.Add(10*time.Minute)),
		sess("sid-1", t0.Add(16*time.Minute)),
		subj("alice", t0, t0.Add(16*time.Minute)),
	}
	require.NoError(t, s.Revoke(ctx, t0, entries...))
	got, _ := snapshot(ctx, t, s, t0)
	require.Len(t, got, 3)
	for _, e := range entries {
		require.Contains(t, got, key(e))
		assertEntry(t, e, got[key(e)])
	}
}

func kindsAreSeparate(ctx context.Context, t *testing.T, s blocklist.Store) {
	require.NoError(t, s.Revoke(ctx, t0, tok("same", t0.Add(time.Minute)), sess("same", t0.Add(2*time.Minute))))
	got, _ := snapshot(ctx, t, s, t0)
	require.Len(t, got, 2)
	assertEntry(t, tok("same", t0.Add(time.Minute)), got["token/same"])
	assertEntry(t, sess("same", t0.Add(2*time.Minute)), got["session/same"])
}

func expiredEntryLeavesSnapshot(ctx context.Context, t *testing.T, s blocklist.Store) {
	exp := t0.Add(10 * time.Second)
	require.NoError(t, s.Revoke(ctx, t0, tok("short", exp), tok("long", t0.Add(time.Hour))))
	got, _ := snapshot(ctx, t, s, exp.Add(-time.Second))
	assert.Contains(t, got, "token/short", "live one second before expiry")
	got, _ = snapshot(ctx, t, s, exp)
	assert.NotContains(t, got, "token/short", "gone at its expiry")
	assert.Contains(t, got, "token/long")
	// A later write (which may collect garbage) does not bring it back.
	require.NoError(t, s.Revoke(ctx, exp.Add(time.Minute), tok("other", t0.Add(time.Hour))))
	got, _ = snapshot(ctx, t, s, exp.Add(time.Minute))
	assert.NotContains(t, got, "token/short")
	assert.Contains(t, got, "token/long")
}

func alreadyExpiredEntryIsSkipped(ctx context.Context, t *testing.T, s blocklist.Store) {
	_, c := snapshot(ctx, t, s, t0)
	require.NoError(t, s.Revoke(ctx, t0, tok("dead", t0), tok("dead2", t0.Add(-time.Hour))))
	got, c2 := snapshot(ctx, t, s, t0.Add(-2*time.Hour))
	assert.Empty(t, got, "an entry expired when written is not stored")
	assert.Equal(t, c.Seq, c2.Seq, "and not appended to the feed")
}

func revokeIsIdempotent(ctx context.Context, t *testing.T, s blocklist.Store) {
	e := subj("bob", t0, t0.Add(15*time.Minute))
	for range 3 {
		require.NoError(t, s.Revoke(ctx, t0, e))
	}
	got, _ := snapshot(ctx, t, s, t0)
	require.Len(t, got, 1)
	assertEntry(t, e, got[key(e)])
}

func mergeKeepsLaterExpiry(ctx context.Context, t *testing.T, s blocklist.Store) {
	require.NoError(t, s.Revoke(ctx, t0, tok("j", t0.Add(10*time.Minute))))
	require.NoError(t, s.Revoke(ctx, t0, tok("j", t0.Add(5*time.Minute))))
	got, _ := snapshot(ctx, t, s, t0)
	assertEntry(t, tok("j", t0.Add(10*time.Minute)), got["token/j"])
	require.NoError(t, s.Revoke(ctx, t0, tok("j", t0.Add(20*time.Minute))))
	got, _ = snapshot(ctx, t, s, t0)
	assertEntry(t, tok("j", t0.Add(20*time.Minute)), got["token/j"])
}

func subjectWatermarkOnlyMovesForward(ctx context.Context, t *testing.T, s blocklist.Store) {
	later, earlier := t0.Add(time.Minute), t0
	require.NoError(t, s.Revoke(ctx, t0, subj("carol", later, t0.Add(16*time.Minute))))
	require.NoError(t, s.Revoke(ctx, t0, subj("carol", earlier, t0.Add(20*time.Minute))))
	got, _ := snapshot(ctx, t, s, t0)
	assertEntry(t, subj("carol", later, t0.Add(20*time.Minute)), got["subject/carol"])
}

func invalidEntriesAreRefused(ctx context.Context, t *testing.T, s blocklist.Store) {
	exp := t0.Add(time.Minute)
	bad := []struct {
		name string
		e    blocklist.Entry
	}{
		{"EmptyID", tok("", exp)},
		{"UnknownKind", blocklist.Entry{Kind: 9, ID: "x", ExpiresAt: exp}},
		{"ZeroKind", blocklist.Entry{ID: "x", ExpiresAt: exp}},
		{"IDTooLong", tok(strings.Repeat("x", blocklist.MaxIDLength+1), exp)},
		{"NoExpiry", tok("x", time.Time{})},
		{"SubjectWithoutWatermark", blocklist.Entry{Kind: blocklist.KindSubject, ID: "x", ExpiresAt: exp}},
		{"WatermarkOnToken", blocklist.Entry{Kind: blocklist.KindToken, ID: "x", ExpiresAt: exp, Watermark: t0}},
	}
	_, c := snapshot(ctx, t, s, t0)
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			err := s.Revoke(ctx, t0, tok("valid", exp), b.e)
			require.ErrorIs(t, err, blocklist.ErrInvalid)
		})
	}
	got, c2 := snapshot(ctx, t, s, t0)
	assert.Empty(t, got, "a batch with an invalid entry writes nothing")
	assert.Equal(t, c.Seq, c2.Seq)
}

func timesAreRoundedTowardsRevoking(ctx context.Context, t *testing.T, s blocklist.Store) {
	require.NoError(t, s.Revoke(ctx, t0,
		tok("j", t0.Add(1500*time.Millisecond)),
		subj("u", t0.Add(700*time.Millisecond), t0.Add(time.Minute+time.Nanosecond))))
	got, _ := snapshot(ctx, t, s, t0)
	assertEntry(t, tok("j", t0.Add(2*time.Second)), got["token/j"])
	assertEntry(t, subj("u", t0, t0.Add(time.Minute+time.Second)), got["subject/u"])
}

func farFutureExpiryRoundTrips(ctx context.Context, t *testing.T, s blocklist.Store) {
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) // past 2^31 seconds
	require.NoError(t, s.Revoke(ctx, t0, tok("far", far), subj("far", far.Add(-time.Hour), far)))
	got, _ := snapshot(ctx, t, s, t0)
	assertEntry(t, tok("far", far), got["token/far"])
	assertEntry(t, subj("far", far.Add(-time.Hour), far), got["subject/far"])
}

func longAndOddIDsRoundTrip(ctx context.Context, t *testing.T, s blocklist.Store) {
	ids := []string{
		strings.Repeat("x", blocklist.MaxIDLength),
		"with:colons:and spaces",
		"{braces}",
		"t:looks-like-a-field",
		"ünïcødé-✓",
		"nul\x00byte",
	}
	for _, id := range ids {
		require.NoError(t, s.Revoke(ctx, t0, sess(id, t0.Add(time.Minute))))
	}
	got, _ := snapshot(ctx, t, s, t0)
	require.Len(t, got, len(ids))
	for _, id := range ids {
		assertEntry(t, sess(id, t0.Add(time.Minute)), got["session/"+id])
	}
}

func snapshotIsACopy(ctx context.Context, t *testing.T, s blocklist.Store) {
	require.NoError(t, s.Revoke(ctx, t0, tok("a", t0.Add(time.Minute))))
	snap, err := s.Snapshot(ctx, t0)
	require.NoError(t, err)
	require.Len(t, snap.Entries, 1)
	snap.Entries[0].ID = "mutated"
	snap.Entries[0].ExpiresAt = t0.Add(-time.Hour)
	got, _ := snapshot(ctx, t, s, t0)
	assertEntry(t, tok("a", t0.Add(time.Minute)), got["token/a"])
}

func feedDeliversChangesInOrder(ctx context.Context, t *testing.T, s blocklist.Store) {
	_, c := snapshot(ctx, t, s, t0)
	want := []blocklist.Entry{
		tok("j1", t0.Add(time.Minute)),
		sess("s1", t0.Add(2*time.Minute)),
		subj("u1", t0, t0.Add(3*time.Minute)),
	}
	for _, e := range want {
		require.NoError(t, s.Revoke(ctx, t0, e))
	}
	got, next := collect(ctx, t, s, c, len(want))
	require.Len(t, got, len(want))
	for i, ch := range got {
		assert.Equal(t, c.Seq+uint64(i)+1, ch.Seq, "sequence numbers follow the cursor without holes")
		assertEntry(t, want[i], ch.Entry)
	}
	assert.Equal(t, c.Epoch, next.Epoch)
}

func feedCarriesTheMergedEntry(ctx context.Context, t *testing.T, s blocklist.Store) {
	_, c := snapshot(ctx, t, s, t0)
	require.NoError(t, s.Revoke(ctx, t0, tok("j", t0.Add(10*time.Minute))))
	require.NoError(t, s.Revoke(ctx, t0, tok("j", t0.Add(5*time.Minute))))
	got, _ := collect(ctx, t, s, c, 2)
	assertEntry(t, tok("j", t0.Add(10*time.Minute)), got[1].Entry)
}

func feedHeartbeatWhenIdle(ctx context.Context, t *testing.T, s blocklist.Store) {
	require.NoError(t, s.Revoke(ctx, t0, tok("j", t0.Add(time.Minute))))
	_, c := snapshot(ctx, t, s, t0)
	chs, next, err := s.Changes(ctx, c, 50*time.Millisecond)
	require.NoError(t, err, "an idle feed is a heartbeat, not an error")
	assert.Empty(t, chs)
	assert.Equal(t, c.Epoch, next.Epoch)
	assert.Equal(t, c.Seq, next.Seq)
}

func feedWakesAWaitingFollower(ctx context.Context, t *testing.T, s blocklist.Store) {
	_, c := snapshot(ctx, t, s, t0)
	type result struct {
		chs []blocklist.Change
		err error
	}
	done := make(chan result, 1)
	go func() {
		var all []blocklist.Change
		cur := c
		for len(all) == 0 && ctx.Err() == nil {
			chs, next, err := s.Changes(ctx, cur, 10*time.Second)
			if err != nil {
				done <- result{err: err}
				return
			}
			all, cur = append(all, chs...), next
		}
		done <- result{chs: all}
	}()
	require.NoError(t, s.Revoke(ctx, t0, tok("wake", t0.Add(time.Minute))))
	select {
	case r := <-done:
		require.NoError(t, r.err)
		require.NotEmpty(t, r.chs)
		assertEntry(t, tok("wake", t0.Add(time.Minute)), r.chs[0].Entry)
	case <-ctx.Done():
		t.Fatal("a follower waiting on the feed was not woken by a revocation")
	}
}

func feedResumesAfterReconnect(ctx context.Context, t *testing.T, s blocklist.Store) {
	// A follower reads up to c1, then goes away (disconnected) while more
	// revocations happen; when it comes back with c1 it gets all of them.
	_, c0 := snapshot(ctx, t, s, t0)
	require.NoError(t, s.Revoke(ctx, t0, tok("before", t0.Add(time.Minute))))
	_, c1 := collect(ctx, t, s, c0, 1)
	var missed []blocklist.Entry
	for i := range 5 {
		e := tok(fmt.Sprintf("while-away-%d", i), t0.Add(time.Minute))
		missed = append(missed, e)
		require.NoError(t, s.Revoke(ctx, t0, e))
	}
	got, c2 := collect(ctx, t, s, c1, len(missed))
	require.Len(t, got, len(missed))
	for i, ch := range got {
		assertEntry(t, missed[i], ch.Entry)
	}
	// Following on from the end is a heartbeat.
	chs, _, err := s.Changes(ctx, c2, 20*time.Millisecond)
	require.NoError(t, err)
	assert.Empty(t, chs)
	// A fresh snapshot agrees and its cursor is at the head.
	all, c3 := snapshot(ctx, t, s, t0)
	assert.Len(t, all, 6)
	assert.Equal(t, c2.Seq, c3.Seq)
}

func feedRefusesForeignOrFutureCursor(ctx context.Context, t *testing.T, s blocklist.Store) {
	require.NoError(t, s.Revoke(ctx, t0, tok("j", t0.Add(time.Minute))))
	_, c := snapshot(ctx, t, s, t0)
	foreign := c
	foreign.Epoch = "not-" + c.Epoch
	_, _, err := s.Changes(ctx, foreign, 50*time.Millisecond)
	require.ErrorIs(t, err, blocklist.ErrGap, "a cursor from another store (or a store that lost its data) forces a resync")

	future := c
	future.Seq += 1000
	_, _, err = s.Changes(ctx, future, 50*time.Millisecond)
	require.ErrorIs(t, err, blocklist.ErrGap, "a cursor ahead of the feed means the feed went backwards")
}

func concurrentRevokesOfOneIDMerge(ctx context.Context, t *testing.T, s blocklist.Store) {
	_, c := snapshot(ctx, t, s, t0)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Revoke(ctx, t0, subj("dave", t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(60+i)*time.Second)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, _ := snapshot(ctx, t, s, t0)
	assertEntry(t, subj("dave", t0.Add((n-1)*time.Second), t0.Add((60+n-1)*time.Second)), got["subject/dave"])
	chs, _ := collect(ctx, t, s, c, n)
	seqs := make([]uint64, 0, n)
	for _, ch := range chs {
		seqs = append(seqs, ch.Seq)
	}
	for i, sq := range seqs {
		assert.Equal(t, c.Seq+uint64(i)+1, sq, "one change per write, without holes")
	}
	assertEntry(t, got["subject/dave"], chs[n-1].Entry)
}

func snapshotThenFeedLosesNothing(ctx context.Context, t *testing.T, s blocklist.Store) {
	const writers, each = 4, 50
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range each {
				errs <- s.Revoke(ctx, t0, tok(fmt.Sprintf("w%d-%d", w, i), t0.Add(time.Hour)))
			}
		})
	}
	close(start)
	// A follower joining while the writers run: snapshot, then the feed.
	seen := make(map[string]bool)
	snap, err := s.Snapshot(ctx, t0)
	require.NoError(t, err)
	for _, e := range snap.Entries {
		seen[e.ID] = true
	}
	c := snap.Cursor
	for len(seen) < writers*each {
		require.NoError(t, ctx.Err(), "the follower saw %d of %d revocations", len(seen), writers*each)
		chs, next, err := s.Changes(ctx, c, time.Second)
		require.NoError(t, err)
		for i, ch := range chs {
			require.Equal(t, c.Seq+uint64(i)+1, ch.Seq)
			seen[ch.Entry.ID] = true
		}
		c = next
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, seen, writers*each)
}

// feedCatchesAFollowerUpToTheHead: a follower far behind gets, in one call,
// every change up to the head, or ErrGap (then it takes a snapshot). Never a
// partial batch: the List counts a successful call as proof that it is up to
// date, and a follower served in slices could be minutes behind while it
// believes it is fresh.
func feedCatchesAFollowerUpToTheHead(ctx context.Context, t *testing.T, s blocklist.Store) {
	_, c := snapshot(ctx, t, s, t0)
	const n = 3000
	entries := make([]blocklist.Entry, n)
	for i := range entries {
		entries[i] = tok(fmt.Sprint("burst-", i), t0.Add(time.Hour))
	}
	require.NoError(t, s.Revoke(ctx, t0, entries...))
	_, head := snapshot(ctx, t, s, t0)
	chs, next, err := s.Changes(ctx, c, time.Second)
	if err != nil {
		require.ErrorIs(t, err, blocklist.ErrGap)
		return
	}
	require.Equal(t, n, len(chs), "changes returned to a follower %d behind", n)
	assert.Equal(t, head.Seq, next.Seq)
}
