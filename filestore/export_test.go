package filestore

// PutObject writes an object under a chosen key (Save picks its own).
var PutObject = (*S3).put
