package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
)

// buildBinary builds a main package into dir.
func buildBinary(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// natsServerBinary is the nats-server the Makefile installed
// (FEDMATCH_NATS_SERVER), or one built here from the same module.
func natsServerBinary(t *testing.T, dir string) string {
	t.Helper()
	if p := os.Getenv("FEDMATCH_NATS_SERVER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("FEDMATCH_NATS_SERVER=%s: %v", p, err)
		}
		return p
	}
	return buildBinary(t, dir, "github.com/nats-io/nats-server/v2", "nats-server")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitPort polls until something accepts connections on port.
func waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		require_True(t, time.Now().Before(deadline), "nothing listening on %d after 20s", port)
		time.Sleep(50 * time.Millisecond)
	}
}

// proc is a started child process whose output goes to a buffer.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
}

func start(t *testing.T, name string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), out: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("--- %s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// stop sends SIGTERM and requires a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s exited with %v\n%s", p.name, err, p.out.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not stop within 10s of SIGTERM", p.name)
	}
}

// fm runs the fedmatch binary to completion.
func fm(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, errb.String())
	}
	return out.String(), err
}

// TestProcesses_RealNATSServer runs a real nats-server binary, `fedmatch
// broker` and two `fedmatch node` processes, imports records with `fedmatch
// node import`, and asks with `fedmatch query --json`.
func TestProcesses_RealNATSServer(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir, "github.com/fedmatch/fedmatch/cmd/fedmatch", "fedmatch")
	ns := natsServerBinary(t, dir)
	port := freePort(t)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	fed := filepath.Join(dir, "fed")
	out, err := fm(t, bin, "certs", "init", "--dir", fed, "--federation", "proc", "--agencies", "gb-home-office,us-dhs,de-bka",
		"--agreement", "prum-border:gb-home-office+us-dhs+de-bka:border-admission+visa-application")
	require_True(t, err == nil && strings.Contains(out, "3 agencies"), "certs init: %v %s", err, out)
	// The stock server, run from the configuration certs init generated:
	// TLS with client certificates, an account per agency.
	server := start(t, "nats-server", ns, "-c", filepath.Join(fed, "nats", "nats-server.conf"), "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	out, err = fm(t, bin, "certs", "show", "--dir", fed)
	require_True(t, err == nil && strings.Contains(out, "prum-border"), "certs show: %v %s", err, out)

	records := filepath.Join(dir, "us.jsonl")
	rec := func(id, surname string) string {
		return fmt.Sprintf(`{"id":%q,"category":"traveller-of-interest","collected_at":"2025-01-01","retention_until":"2099-01-01","surname":%q,"given_names":"Ana","date_of_birth":"1990-05-06","documents":[{"number":"P123","issuing_state":"ESP"}]}`, id, surname)
	}
	os.WriteFile(records, []byte(rec("u1", "García")+"\n"+rec("u2", "Fernández")+"\n"), 0o600)
	usData := filepath.Join(dir, "us-data")
	out, err = fm(t, bin, "node", "import", "--data", usData, records)
	require_True(t, err == nil && strings.Contains(out, "imported 2 records"), "import: %v %s", err, out)

	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(rec("u3", "Lopez")+"\n{\"id\":\"u4\",\"category\":\"nope\"}\n"), 0o600)
	_, err = fm(t, bin, "node", "import", "--data", usData, bad)
	require_True(t, err != nil && strings.Contains(err.Error(), "line 2"), "bad import: %v", err)
	_, err = fm(t, bin, "node", "import", "--data", usData, records)
	require_True(t, err != nil && strings.Contains(err.Error(), "already held"), "re-import of held ids: %v", err)

	waitPort(t, port)
	broker := start(t, "broker", bin, "broker", "--nats", url, "--fed", fed, "--audit", filepath.Join(dir, "broker-audit.jsonl"))
	usNode := start(t, "node us-dhs", bin, "node", "--nats", url, "--fed", fed, "--agency", "us-dhs", "--data", usData)
	deNode := start(t, "node de-bka", bin, "node", "--nats", url, "--fed", fed, "--agency", "de-bka", "--data", filepath.Join(dir, "de-data"))

	// Poll until both nodes answer.
	var res fedmatch.Result
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err = fm(t, bin, "query", "--nats", url, "--fed", fed, "--agency", "gb-home-office", "--targets", "us-dhs,de-bka",
			"--purpose", "visa-application", "--basis", "prum-border", "--surname", "GARCIA", "--given", "Ana", "--dob", "1990-05-06", "--json")
		if err == nil && json.Unmarshal([]byte(out), &res) == nil && len(res.Nodes) == 2 &&
			res.Nodes[0].Status != fedmatch.StatusUnavailable && res.Nodes[1].Status != fedmatch.StatusUnavailable {
			break
		}
		require_True(t, time.Now().Before(deadline), "federation not answering after 30s: %v %s", err, out)
		time.Sleep(200 * time.Millisecond)
	}
	status := map[fedmatch.AgencyID]fedmatch.NodeResult{}
	for _, nr := range res.Nodes {
		status[nr.Agency] = nr
	}
	usr := status["us-dhs"]
	require_True(t, usr.Status == fedmatch.StatusHit && usr.Answer != nil && len(usr.Answer.Hits) == 1, "us-dhs: %+v", usr)
	require_True(t, usr.Answer.Hits[0].Fields["surname"] == "García", "us-dhs disclosed %v", usr.Answer.Hits[0].Fields)
	require_True(t, status["de-bka"].Status == fedmatch.StatusNoHit, "de-bka: %+v", status["de-bka"])

	// The human-readable form, and a refusal outside the agreement.
	out, err = fm(t, bin, "query", "--nats", url, "--fed", fed, "--agency", "gb-home-office", "--targets", "us-dhs",
		"--purpose", "counter-terrorism", "--basis", "prum-border", "--doc", "ESP:P123")
	require_True(t, err == nil && strings.Contains(out, "refused") && strings.Contains(out, "not_in_agreement"), "refusal: %v\n%s", err, out)

	for _, p := range []*proc{usNode, deNode, broker} {
		p.stop(t)
	}
	server.stop(t)
	out, err = fm(t, bin, "audit", "verify", dir)
	require_True(t, err == nil && strings.Count(out, "ok ") == 3, "audit verify: %v\n%s", err, out)
}
