package loadkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Build compiles the bot the way deploy/Dockerfile does into dir and
// returns the binary's path. root is the module root.
func Build(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "zhenggai")
	cmd := exec.CommandContext(ctx, goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("loadkit: go build: %w\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot finds the directory of go.mod from the working directory up.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("loadkit: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("loadkit: no go.mod above the working directory")
		}
		dir = parent
	}
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// FreeAddr returns a 127.0.0.1 address with a port nobody listens on now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("loadkit: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Process is one `zhenggai serve` child.
type Process struct {
	Addr string // host:port of its HTTP server
	Log  string // its stdout and stderr

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs `bin serve` with env (plus HTTP_ADDR) and waits until /readyz
// answers 200.
func Start(ctx context.Context, bin string, env []string, logPath string) (*Process, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("loadkit: %w", err)
	}
	p := &Process{Addr: addr, Log: logPath, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(append([]string{}, env...), "HTTP_ADDR="+addr)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("loadkit: start: %w", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	if err := p.WaitReady(ctx, 60*time.Second); err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

// BaseURL is http://Addr.
func (p *Process) BaseURL() string { return "http://" + p.Addr }

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// WaitReady polls /readyz until it answers 200.
func (p *Process) WaitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-p.done:
			return fmt.Errorf("loadkit: the bot exited before it was ready (%v); see %s", p.err, p.Log)
		default:
		}
		if code, _ := Status(ctx, c, p.BaseURL()+"/readyz"); code == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("loadkit: the bot was not ready within %v; see %s", limit, p.Log)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("loadkit: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Status is the HTTP status of GET url, or 0 with the error.
func Status(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM and waits up to limit for a clean exit.
func (p *Process) Stop(limit time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		p.Kill()
		return fmt.Errorf("loadkit: the bot did not stop within %v", limit)
	}
}

// Usage is a process's resident memory and CPU time so far.
type Usage struct {
	RSS int64         // bytes
	CPU time.Duration // user + system
}

// Usage reads /proc for the child's resident set and CPU time.
func (p *Process) Usage() (Usage, error) { return ProcUsage(p.Pid()) }

// ProcUsage reads /proc/<pid>/status (VmRSS) and /proc/<pid>/stat
// (utime + stime).
func ProcUsage(pid int) (Usage, error) {
	var u Usage
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, fmt.Errorf("loadkit: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			u.RSS = kb * 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, fmt.Errorf("loadkit: %w", err)
	}
	// Fields after the command's closing parenthesis: state is field 3,
	// utime 14 and stime 15.
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return u, fmt.Errorf("loadkit: short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	u.CPU = time.Duration(ut+st) * time.Second / clkTck
	return u, nil
}

// CommandCPU is the CPU time used so far by every running process named
// comm (e.g. "postgres": the server and its backends); backends that have
// exited are not counted, so compare it over a span with the same
// connections open.
func CommandCPU(comm string) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("loadkit: %w", err)
	}
	var total time.Duration
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		name, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(name)) != comm {
			continue
		}
		if u, err := ProcUsage(pid); err == nil {
			total += u.CPU
		}
	}
	return total, nil
}
