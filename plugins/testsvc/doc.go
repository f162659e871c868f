// Package testsvc starts the real services tests need — PostgreSQL, MariaDB, Redis, S3
// (versitygw), an Elasticsearch look-alike — each on a free port in the test's temp dir, and
// stops them when the test ends. It is written once, here, so that connector tests and
// the end-to-end tests of cmd/tributary start a service the same way.
//
// It also owns the one rule for a missing dependency ([Require]): a test skips, saying
// what to install, on a developer's machine, and fails in CI (the CI environment variable
// set), where scripts/install-test-deps.sh has installed everything.
//
// And it owns the one way a test waits ([WaitFor], [Eventually], [Consistently]): a poll
// until a deadline for an event the test can observe, never a fixed sleep;
// TestNoFixedSleepsInTests walks the repository's tests to keep it so.
//
// Only tests import it. It must not import the kernel or the SDK: it starts services, it
// does not know what a connector is.
package testsvc
