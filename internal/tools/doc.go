// Package tools pins build tools whose module proxy listing is incomplete:
// mdatagen v0.159.0 cannot be installed with `go install pkg@version` here
// (the proxy serves no version list for it), so the Makefile installs it from
// this module's go.mod instead. Nothing imports this package.
package tools
