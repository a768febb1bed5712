package main

import "syscall"

// serverProcAttr makes the kernel stop a server we started if this tool
// dies without cleaning up, so no hingraph is left holding a port.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
