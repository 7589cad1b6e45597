#!/usr/bin/env bash
# launch.sh — a small torchrun: starts N worker processes on this node with the
# environment crossover's dist layer reads (RANK, WORLD_SIZE, LOCAL_RANK,
# LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), forwards SIGINT/SIGTERM to them,
# and when one worker fails stops the others and exits with that first failure's
# exit code. Every child is reaped before it exits. No restarts, no elastic
# membership: use torchrun for those (docs/distributed.md).
# Cost: nothing beyond the workers themselves.
# Example: scripts/launch.sh --nproc_per_node 2 -- build/crossover dist-check
#          scripts/launch.sh --nproc_per_node 8 --nnodes 2 --node_rank 0 \
#              --master_addr node0 --master_port 29500 -- build/crossover train cfg.yaml
set -uo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/launch.sh --nproc_per_node N [--nnodes M --node_rank R]
                         [--master_addr A] [--master_port P] [--grace_s S] -- CMD [ARGS...]
  --nproc_per_node N  workers on this node (required)
  --nnodes M          nodes in the job (default 1); run this script once per node
  --node_rank R       this node's index, 0..M-1 (default 0)
  --master_addr A     address of node 0 (default 127.0.0.1)
  --master_port P     rendezvous port on node 0 (default: a free port; required if M > 1)
  --grace_s S         seconds between SIGTERM and SIGKILL when stopping workers (default 5)
USAGE
}

die() { echo "launch.sh: error: $*" >&2; exit 2; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

nproc="" nnodes=1 node_rank=0 master_addr=127.0.0.1 master_port="" grace_s=5
while [ $# -gt 0 ]; do
  case "$1" in
    --nproc_per_node|--nproc-per-node) nproc="${2:-}"; shift 2 ;;
    --nproc_per_node=*|--nproc-per-node=*) nproc="${1#*=}"; shift ;;
    --nnodes) nnodes="${2:-}"; shift 2 ;;
    --nnodes=*) nnodes="${1#*=}"; shift ;;
    --node_rank|--node-rank) node_rank="${2:-}"; shift 2 ;;
    --node_rank=*|--node-rank=*) node_rank="${1#*=}"; shift ;;
    --master_addr|--master-addr) master_addr="${2:-}"; shift 2 ;;
    --master_addr=*|--master-addr=*) master_addr="${1#*=}"; shift ;;
    --master_port|--master-port) master_port="${2:-}"; shift 2 ;;
    --master_port=*|--master-port=*) master_port="${1#*=}"; shift ;;
    --grace_s) grace_s="${2:-}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) usage >&2; die "unknown argument '$1' (the command goes after --)" ;;
  esac
done
[ $# -gt 0 ] || { usage >&2; die "no command given after --"; }
is_uint "$nproc" && [ "$nproc" -ge 1 ] || die "--nproc_per_node must be a positive integer, got '$nproc'"
is_uint "$nnodes" && [ "$nnodes" -ge 1 ] || die "--nnodes must be a positive integer, got '$nnodes'"
is_uint "$node_rank" && [ "$node_rank" -lt "$nnodes" ] || die "--node_rank must be in 0..$((nnodes - 1)), got '$node_rank'"
is_uint "$grace_s" || die "--grace_s must be a non-negative integer, got '$grace_s'"

# A free port: ask the kernel (python), else probe random ports with bash's /dev/tcp.
free_port() {
  local py
  for py in python3 python; do
    if command -v "$py" >/dev/null 2>&1; then
      "$py" -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])' \
        2>/dev/null && return 0
    fi
  done
  local p i
  for i in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
if [ -z "$master_port" ]; then
  [ "$nnodes" -eq 1 ] || die "--master_port is required with --nnodes > 1 (every node must agree)"
  master_port=$(free_port) || die "could not find a free port (hint: pass --master_port)"
fi
is_uint "$master_port" && [ "$master_port" -ge 1 ] && [ "$master_port" -le 65535 ] ||
  die "--master_port must be in 1..65535, got '$master_port'"

world=$((nnodes * nproc))
pids=()
stopping=0

# Each worker runs in its own process group (set -m below), so a signal to
# -PID reaches the worker and anything it started. Sends SIG, waits grace_s
# seconds, then SIGKILLs what is left and reaps every worker.
stop_workers() {
  local sig=${1:-TERM} pid t
  for pid in "${pids[@]}"; do kill -"$sig" -- -"$pid" 2>/dev/null; done
  for ((t = 0; t < grace_s * 10; t++)); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 -- -"$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- -"$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
}

on_signal() {
  local sig=$1 code=$2
  stopping=1
  echo "launch.sh: got SIG$sig, stopping ${#pids[@]} workers" >&2
  stop_workers "$sig"
  exit "$code"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

# Job control: workers get their own process groups, and (unlike plain background
# jobs of a script) they do not start with SIGINT ignored.
set -m
for ((lr = 0; lr < nproc; lr++)); do
  RANK=$((node_rank * nproc + lr)) WORLD_SIZE=$world LOCAL_RANK=$lr LOCAL_WORLD_SIZE=$nproc \
  GROUP_RANK=$node_rank MASTER_ADDR=$master_addr MASTER_PORT=$master_port \
    "$@" &
  pids+=($!)
done
set +m

# Poll: the first worker to fail stops the rest; its exit code is ours.
declare -A done_pid=()
first_rc=0 first_rank=-1 remaining=$nproc
while [ "$remaining" -gt 0 ]; do
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    [ -n "${done_pid[$pid]:-}" ] && continue
    kill -0 "$pid" 2>/dev/null && continue
    wait "$pid"; rc=$?
    done_pid[$pid]=1
    remaining=$((remaining - 1))
    if [ "$rc" -ne 0 ] && [ "$first_rc" -eq 0 ]; then
      first_rc=$rc first_rank=$((node_rank * nproc + i))
      echo "launch.sh: rank $first_rank exited with code $rc; stopping the other workers" >&2
      stop_workers TERM
      remaining=0
      break
    fi
  done
  [ "$remaining" -gt 0 ] && sleep 0.1
done
exit "$first_rc"
