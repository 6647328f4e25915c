// Package integration holds the end-to-end tests of civicdesk: real stores,
// the real central API on 127.0.0.1, Toxiproxy in between, hallctl killed
// mid-write, and the network benchmarks.
package integration
