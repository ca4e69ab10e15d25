// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it
// is 100 on every Linux this runs on.
const clockTicks = 100

// collector is a running collector child process.
type collector struct {
	cmd      *exec.Cmd
	grpcAddr string // OTLP gRPC receiver
	promAddr string // the collector's own Prometheus telemetry
	logPath  string // its stderr (the collector's own logs)
	done     chan struct{}
	waitErr  error
	exitedAt time.Time
}

// Ports come from below Linux's ephemeral range (32768-60999 by default): a
// collector that keeps dialing a stopped downstream on an ephemeral port can be
// given that very port as its own source port, and the downstream then cannot
// bind it again when it is brought back.
const (
	firstPort = 20000
	lastPort  = 32767
)

var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

// freePort returns a TCP port on 127.0.0.1, below the ephemeral range, that was
// free a moment ago and was not handed out before in this process.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 1000 {
		port := firstPort + rand.IntN(lastPort-firstPort+1)
		if portsUsed[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		_ = l.Close()
		portsUsed[port] = true
		return port, nil
	}
	return 0, errors.New("free port: none free below the ephemeral range")
}

// startCollector starts bin with config file cfgPath. Its stdout goes to
// /dev/null (the debug and console exporters write there), its stderr to
// logPath. It returns once the Prometheus endpoint answers and the OTLP port
// accepts connections, which the collector opens after every pipeline is up.
func startCollector(ctx context.Context, bin, cfgPath, logPath, grpcAddr, promAddr string) (*collector, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create collector log: %w", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		logf.Close()
		return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	cmd := exec.Command(bin, "--config", "file:"+cfgPath)
	cmd.Stdout, cmd.Stderr = devnull, logf
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if err := cmd.Start(); err != nil {
		logf.Close()
		devnull.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &collector{cmd: cmd, grpcAddr: grpcAddr, promAddr: promAddr, logPath: logPath, done: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		c.exitedAt = time.Now()
		logf.Close()
		devnull.Close()
		close(c.done)
	}()
	if err := c.waitReady(ctx, 60*time.Second); err != nil {
		c.kill()
		return nil, err
	}
	return c, nil
}

func (c *collector) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			return fmt.Errorf("collector exited during start (%w); log: %s", c.waitErr, tail(c.logPath, 2000))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := scrape(ctx, c.promAddr); err != nil {
			continue
		}
		conn, err := net.DialTimeout("tcp", c.grpcAddr, time.Second)
		if err != nil {
			continue
		}
		conn.Close()
		return nil
	}
	return fmt.Errorf("collector not ready after %s; log: %s", limit, tail(c.logPath, 2000))
}

// cpu returns the CPU time (user + system) the running process has used.
func (c *collector) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read stat: %w", err)
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat line")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("parse stat: %w", err)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// rssKiB returns the current resident set size (VmRSS) in KiB.
func (c *collector) rssKiB() (int64, error) {
	return procStatusKiB(c.cmd.Process.Pid, "VmRSS:")
}

func procStatusKiB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read status: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// exitStats is what the kernel reports about the child once it has exited.
type exitStats struct {
	cpu       time.Duration // user + system CPU time over the whole life
	maxRSSKiB int64
	stopTook  time.Duration // SIGTERM to exit
	killed    bool          // did not exit within the limit and was SIGKILLed
}

// stop sends SIGTERM, waits up to limit for the exit (then SIGKILL), and
// returns the child's rusage.
func (c *collector) stop(limit time.Duration) (exitStats, error) {
	var st exitStats
	t0 := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return st, fmt.Errorf("sigterm: %w", err)
	}
	select {
	case <-c.done:
	case <-time.After(limit):
		st.killed = true
		c.kill()
	}
	st.stopTook = c.exitedAt.Sub(t0)
	if ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		st.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		st.maxRSSKiB = ru.Maxrss
	}
	return st, nil
}

func (c *collector) kill() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// tail returns the last n bytes of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
