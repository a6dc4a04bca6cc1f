// Checks Warden's transparency-log output with code nobody at Warden wrote:
// Go's golang.org/x/mod/sumdb/note (C2SP signed notes) and sumdb/tlog
// (RFC 6962 proofs), from Debian's golang-golang-x-mod-dev. Built by
// test/integration/c2sp-interop.test.ts in GOPATH mode, offline.
//
//	c2sp-check note <vkey>... < note        verify a signed note; print its text
//	c2sp-check tree <n> <rootN> <t> <rootT> [hash...]   tlog.CheckTree (n ≤ t)
//	c2sp-check record <index> <leaf> <t> <rootT> [hash...]   tlog.CheckRecord
//
// Hashes are hex. Exit 0 = verified, 1 = refused (reason on stderr), 2 = usage.
package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func usage(msg string) {
	fmt.Fprintln(os.Stderr, "usage:", msg)
	os.Exit(2)
}

func refuse(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func hash(s string) tlog.Hash {
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		usage("not a 32-byte hex hash: " + s)
	}
	copy(h[:], b)
	return h
}

func num(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		usage("not a number: " + s)
	}
	return n
}

func hashes(args []string) []tlog.Hash {
	out := make([]tlog.Hash, 0, len(args))
	for _, a := range args {
		out = append(out, hash(a))
	}
	return out
}

func main() {
	if len(os.Args) < 2 {
		usage("c2sp-check note|tree|record …")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "note":
		if len(args) == 0 {
			usage("c2sp-check note <vkey>... < note")
		}
		var vs []note.Verifier
		for _, k := range args {
			v, err := note.NewVerifier(k)
			if err != nil {
				refuse(fmt.Errorf("verifier key: %w", err))
			}
			vs = append(vs, v)
		}
		msg, err := io.ReadAll(os.Stdin)
		if err != nil {
			refuse(err)
		}
		n, err := note.Open(msg, note.VerifierList(vs...))
		if err != nil {
			refuse(err)
		}
		for _, s := range n.Sigs {
			fmt.Fprintf(os.Stderr, "verified: %s %08x\n", s.Name, s.Hash)
		}
		fmt.Print(n.Text)
	case "tree":
		if len(args) < 4 {
			usage("c2sp-check tree <n> <rootN> <t> <rootT> [hash...]")
		}
		if err := tlog.CheckTree(tlog.TreeProof(hashes(args[4:])), num(args[2]), hash(args[3]), num(args[0]), hash(args[1])); err != nil {
			refuse(err)
		}
	case "record":
		if len(args) < 4 {
			usage("c2sp-check record <index> <leaf> <t> <rootT> [hash...]")
		}
		if err := tlog.CheckRecord(tlog.RecordProof(hashes(args[4:])), num(args[2]), hash(args[3]), num(args[0]), hash(args[1])); err != nil {
			refuse(err)
		}
	default:
		usage("c2sp-check note|tree|record …")
	}
}
