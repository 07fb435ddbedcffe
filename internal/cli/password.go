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
// "generate one". Echo is off before the first prompt is shown, so an
// answer typed as soon as the prompt appears is never echoed.
func promptPassword(stdin *os.File, w io.Writer) (string, error) {
	restore, err := echoOff(int(stdin.Fd()))
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	defer restore()
	in := bufio.NewReader(io.LimitReader(stdin, 8192))
	ask := func(prompt string) (string, error) {
		fmt.Fprint(w, prompt)
		line, err := in.ReadString('\n')
		fmt.Fprintln(w)
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	first, err := ask("Password (empty: generate one): ")
	if err != nil || first == "" {
		return "", err
	}
	second, err := ask("Repeat the password: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", usageError{"the two passwords differ"}
	}
	return first, nil
}

// generatePassword makes a 26-character password (128 random bits, base32).
func generatePassword() string { return rand.Text() }
