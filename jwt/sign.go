package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"math/big"
)

// This file is the signature layer: the standard library's primitives, held
// to the JWS rules (RFC 7518). It is used instead of jwx's signers and
// verifiers because those accept a PSS salt of any length and ES signatures
// of any curve (research: jwx v2 probe), both of which RFC 7518 forbids.

// signDigest hashes the signing input with the algorithm's hash. EdDSA signs
// the message itself.
func digest(info algInfo, msg []byte) []byte {
	if info.hash == 0 {
		return msg
	}
	h := info.hash.New()
	h.Write(msg)
	return h.Sum(nil)
}

// sign produces the JWS signature of msg with k (a private key or secret).
func (k *Key) sign(msg []byte) ([]byte, error) {
	info := k.info
	switch info.fam {
	case famHMAC:
		m := hmac.New(info.hash.New, k.secret)
		m.Write(msg)
		return m.Sum(nil), nil
	case famEdDSA:
		return k.signer.Sign(rand.Reader, msg, crypto.Hash(0))
	case famRSA:
		return k.signer.Sign(rand.Reader, digest(info, msg), info.hash)
	case famPSS:
		return k.signer.Sign(rand.Reader, digest(info, msg),
			&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: info.hash})
	case famEC:
		der, err := k.signer.Sign(rand.Reader, digest(info, msg), info.hash)
		if err != nil {
			return nil, err
		}
		return derToP1363(der, info.size)
	}
	return nil, fmt.Errorf("%w: cannot sign with %s", ErrAlgorithm, k.alg)
}

// verify checks sig over msg with the public key or secret of k, for k's own
// algorithm. It reports only true or false: callers map false to ErrSignature.
func (k *Key) verify(msg, sig []byte) bool {
	info := k.info
	switch info.fam {
	case famHMAC:
		if len(sig) != info.hash.Size() {
			return false
		}
		m := hmac.New(info.hash.New, k.secret)
		m.Write(msg)
		var buf [64]byte
		return hmac.Equal(m.Sum(buf[:0]), sig)
	case famEdDSA:
		pub, _ := k.pub.(ed25519.PublicKey)
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, msg, sig)
	case famRSA:
		pub, _ := k.pub.(*rsa.PublicKey)
		var buf [64]byte
		return len(sig) == pub.Size() && rsa.VerifyPKCS1v15(pub, info.hash, hashInto(info, msg, buf[:0]), sig) == nil
	case famPSS:
		pub, _ := k.pub.(*rsa.PublicKey)
		var buf [64]byte
		return len(sig) == pub.Size() && rsa.VerifyPSS(pub, info.hash, hashInto(info, msg, buf[:0]), sig,
			&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: info.hash}) == nil
	case famEC:
		pub, _ := k.pub.(*ecdsa.PublicKey)
		if len(sig) != 2*info.size {
			return false
		}
		var buf [64]byte
		var der [2*(66+3) + 4]byte
		return ecdsa.VerifyASN1(pub, hashInto(info, msg, buf[:0]), p1363ToDER(der[:0], sig))
	}
	return false
}

// hashInto appends the digest of msg to buf, with no allocation for the
// JWS hashes.
func hashInto(info algInfo, msg, buf []byte) []byte {
	switch info.hash {
	case crypto.SHA256:
		d := sha256.Sum256(msg)
		return append(buf, d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(msg)
		return append(buf, d[:]...)
	case crypto.SHA512:
		d := sha512.Sum512(msg)
		return append(buf, d[:]...)
	}
	h := info.hash.New()
	h.Write(msg)
	return h.Sum(buf)
}

// p1363ToDER turns the fixed-size r‖s of JWS into the ASN.1 form that
// crypto/ecdsa verifies. Zero or out-of-range values are passed through as
// they are; ecdsa.VerifyASN1 refuses them (CVE-2022-21449 class).
func p1363ToDER(dst, sig []byte) []byte {
	half := len(sig) / 2
	r, s := trimZeros(sig[:half]), trimZeros(sig[half:])
	rl, sl := derIntLen(r), derIntLen(s)
	body := rl + sl + 4
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body))
	dst = appendDERInt(dst, r, rl)
	return appendDERInt(dst, s, sl)
}

func trimZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// derIntLen is the length of the INTEGER content for the unsigned b: one
// more when its top bit is set, for the sign.
func derIntLen(b []byte) int {
	if b[0]&0x80 != 0 {
		return len(b) + 1
	}
	return len(b)
}

func appendDERInt(dst, b []byte, n int) []byte {
	dst = append(dst, 0x02, byte(n))
	if n > len(b) {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}

// derToP1363 turns an ASN.1 ECDSA signature (what crypto.Signer returns)
// into JWS's fixed-size r‖s.
func derToP1363(der []byte, size int) ([]byte, error) {
	var r, s big.Int
	rest, ok := readDERSeq(der)
	if ok {
		rest, ok = readDERInt(rest, &r)
	}
	if ok {
		rest, ok = readDERInt(rest, &s)
	}
	if !ok || len(rest) != 0 || r.BitLen() > 8*size || s.BitLen() > 8*size {
		return nil, fmt.Errorf("%w: signer returned a malformed ECDSA signature", ErrInvalidKey)
	}
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out, nil
}

func readDERLen(b []byte) (int, []byte, bool) {
	if len(b) < 1 {
		return 0, nil, false
	}
	n := int(b[0])
	b = b[1:]
	if n < 0x80 {
		return n, b, len(b) >= n
	}
	if n != 0x81 || len(b) < 1 {
		return 0, nil, false
	}
	n = int(b[0])
	b = b[1:]
	return n, b, len(b) >= n && n >= 0x80
}

func readDERSeq(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != 0x30 {
		return nil, false
	}
	n, rest, ok := readDERLen(b[1:])
	if !ok || n != len(rest) {
		return nil, false
	}
	return rest, true
}

func readDERInt(b []byte, v *big.Int) ([]byte, bool) {
	if len(b) < 2 || b[0] != 0x02 {
		return nil, false
	}
	n, rest, ok := readDERLen(b[1:])
	if !ok || n == 0 {
		return nil, false
	}
	v.SetBytes(rest[:n])
	return rest[n:], true
}
