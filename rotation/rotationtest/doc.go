// Package rotationtest is the conformance suite for rotation.Store, and the
// test doubles it uses (a fake clock, a fake access-token issuer, a store
// wrapper that counts calls).
//
// Every Store implementation runs Run from its tests; a store that passes
// needs no further tests of the rotation semantics:
//
//	func TestConformance(t *testing.T) {
//		rotationtest.Run(t, func(t *testing.T) rotation.Store { return newEmptyStore(t) })
//	}
package rotationtest
