// Command herald runs a Herald server and its administration commands.
// See `herald help` and README.md.
package main

import (
	"os"

	"github.com/herald-social/herald/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
