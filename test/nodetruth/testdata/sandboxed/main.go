// Command sandboxed is the only file of the images the node-truth checks run in a sandbox (no image registry is
// reachable there). Without arguments it is the pod sandbox's pause process: it waits for SIGTERM or SIGINT. With
// arguments it prints them and the kernel it runs on (gVisor reports its own, not the host's), then exits.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		return
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		fmt.Fprintln(os.Stderr, "uname:", err)
		os.Exit(1)
	}
	fmt.Printf("%s (kernel %s %s)\n", strings.Join(os.Args[1:], " "), unix.ByteSliceToString(uts.Sysname[:]), unix.ByteSliceToString(uts.Release[:]))
}
