// Package hostile holds black-box tests that send hostile webhook requests
// through every transport the receiver has: plain HTTP in local mode and API
// Gateway proxy events in both payload formats. Each request is checked
// against the HTTP contract, and the whole store is compared before and
// after it, so a request that the contract rejects can never leave a record
// behind. The package has no code outside its tests.
package hostile
