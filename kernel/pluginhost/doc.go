// Package pluginhost finds, launches and supervises connector plugin binaries.
//
// It scans one directory for executables named tributary-*, starts each with
// hashicorp/go-plugin (the handshake of plugins/sdk, gRPC only, AutoMTLS, optional SHA-256
// pinning), asks it which connectors it holds, and answers which process serves a
// connector class — by name, alias or Kafka Connect class name. When a plugin process
// dies it tells whoever holds that process's Client (Done, Err), relaunches it with
// exponential backoff and hands out the new process's Client. No plugin process outlives
// the Host: Close kills them all, and on Linux each dies with the kernel process.
//
// It owns plugin processes and their connections only. It does not run tasks, retry
// them, decide where they run, or record their status — that is kernel/runtime, which
// watches Client.Done — and it never touches Raft, Kafka or the replicated state. The
// protocol's client side (handshake, plugin set, generated clients) comes from
// plugins/sdk so it is declared once.
package pluginhost
