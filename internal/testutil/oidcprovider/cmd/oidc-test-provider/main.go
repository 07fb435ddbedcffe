// Command oidc-test-provider runs the test OpenID Provider
// (internal/testutil/oidcprovider) for the browser tests: it reads its
// client and users from a JSON file (oidcprovider.Config), prints its
// issuer URL and serves until killed. For tests only: passwords are kept in
// plain text and the issuer is http.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/herald-social/herald/internal/testutil/oidcprovider"
)

func main() {
	config := flag.String("config", "", "JSON file with the client and users (oidcprovider.Config)")
	flag.Parse()
	data, err := os.ReadFile(*config)
	if err != nil {
		log.Fatal(err)
	}
	var cfg oidcprovider.Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		log.Fatalf("%s: %v", *config, err)
	}
	p, err := oidcprovider.Start(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Issuer)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	p.Close()
}
