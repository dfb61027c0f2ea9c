package handler

// PagePaths lists the page routes of the H5 app and of the staff console.
func PagePaths() (h5, staff []string) { return h5Pages, staffPages }
