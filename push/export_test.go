package push

// The helpers the external tests (package push_test, which may import the
// channels' packages that import push) share with the internal ones.
var (
	WaitFor         = waitFor
	CountRows       = countRows
	DrainOptions    = drainOptions
	StartChild      = startChild
	RunInBackground = runInBackground
)

// SIGKILLLease is the lease of the killed-instance runs.
const SIGKILLLease = sigkillLease

// OwnerOf names the instance in its leases.
func OwnerOf(w *Worker) string { return w.opt.Owner }
