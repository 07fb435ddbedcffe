// Package cluster holds the test of several identical `herald serve`
// processes on one PostgreSQL database behind a round-robin proxy
// (cluster_test.go): what the processes share (jobs, streaming, caches,
// ids) is built in storage/sqlite (cluster.go) and internal/server
// (cluster.go); this package has no code of its own.
package cluster
