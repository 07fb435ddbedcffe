package cli

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// chosenPassword is the password a command will set, and whether Herald
// made it up (then it is printed once, as tootctl does).
type chosenPassword struct {
	value     string
	generated bool
}

func (p chosenPassword) print(w io.Writer) {
	if p.generated {
		fmt.Fprintf(w, "password: %s\n(shown once: store it now)\n", p.value)
	}
}

// choosePassword picks the password from, in order: --password, then
// --password-file (its first line; "-" is standard input), then a prompt
// without echo when standard input is a terminal; when none gives one it
// generates a password. Passwords on the command line are visible to ps and
// the shell's history, so the other ways exist for real instances.
func choosePassword(flagValue, file string, stdin *os.File, prompt io.Writer) (chosenPassword, error) {
	if flagValue != "" && file != "" {
		return chosenPassword{}, usageError{"give either --password or --password-file, not both"}
	}
	if flagValue != "" {
		return chosenPassword{value: flagValue}, nil
	}
	if file != "" {
		pw, err := readPasswordFile(file, stdin)
		if err != nil {
			return chosenPassword{}, err
		}
		return chosenPassword{value: pw}, nil
	}
	if term.IsTerminal(int(stdin.Fd())) {
		pw, err := promptPassword(stdin, prompt)
		if err != nil {
			return chosenPassword{}, err
		}
		if pw != "" {
			return chosenPassword{value: pw}, nil
		}
	}
	return chosenPassword{value: generatePassword(), generated: true}, nil
}

func readPasswordFile(name string, stdin io.Reader) (string, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--password-file: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError{"--password-file " + name + ": the first line is empty"}
	}
	return line, nil
}

// promptPassword asks twice without echo; an empty first answer means
// "generate one".
func promptPassword(stdin *os.File, w io.Writer) (string, error) {
	fd := int(stdin.Fd())
	fmt.Fprint(w, "Password (empty: generate one): ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(w)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if len(first) == 0 {
		return "", nil
	}
	fmt.Fprint(w, "Repeat the password: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(w)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(first) != string(second) {
		return "", usageError{"the two passwords differ"}
	}
	return string(first), nil
}

// generatePassword makes a 26-character password (128 random bits, base32).
func generatePassword() string { return rand.Text() }
