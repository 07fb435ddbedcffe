//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package cli

import "errors"

// echoOff: no terminal control here; the caller then refuses to prompt
// (use --password-file).
func echoOff(fd int) (restore func(), err error) {
	return nil, errors.New("cannot turn off the terminal's echo on this system; use --password-file")
}
