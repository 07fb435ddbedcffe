package testutil

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// S3Version is the S3 server the tests run against: Versity's S3 gateway,
// installed by .ci/run with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
const S3Version = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// S3Server is a real S3 server (versitygw, posix backend) on loopback,
// keeping its buckets in a directory of the test.
type S3Server struct {
	Endpoint  string // host:port, plain http
	AccessKey string
	SecretKey string
	Region    string
	Dir       string // the buckets' directory: one sub-directory per bucket
}

// StartS3 starts versitygw for the test and stops it at the end. The
// binary is looked up in PATH, then in $GOBIN and $(go env GOPATH)/bin;
// without it the test is skipped, unless the environment has CI=true,
// where it fails (CI installs it).
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	bin := s3Binary()
	if bin == "" {
		msg := "no versitygw binary (install it: go install " + S3Version + ")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := filepath.Join(t.TempDir(), "s3")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &S3Server{AccessKey: "heraldtest", SecretKey: "heraldtest-secret-key", Region: "us-east-1", Dir: dir}
	// A free port: the gateway takes its address on the command line.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Endpoint = ln.Addr().String()
	ln.Close()
	var out lockedBuffer
	cmd := exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--port", s.Endpoint, "--quiet", "posix", dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY=", "ROOT_SECRET_KEY=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("versitygw output:\n%s", out.String())
		}
	})
	// Ready when it answers HTTP (an unsigned request gets 403).
	client := &http.Client{Timeout: time.Second}
	Eventually(t, 30*time.Second, "versitygw answering on "+s.Endpoint, func() bool {
		select {
		case <-exited:
			t.Fatalf("versitygw exited: %s", out.String())
		default:
		}
		resp, err := client.Get("http://" + s.Endpoint + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	return s
}

func s3Binary() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		dirs = append(dirs, filepath.Join(filepath.SplitList(gopath)[0], "bin"))
	} else if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
		dirs = append(dirs, filepath.Join(filepath.SplitList(string(bytes.TrimSpace(out)))[0], "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
