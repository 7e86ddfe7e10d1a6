#!/usr/bin/env bash
# Starts a cluster on this machine for a person to try: one etcd and N nodes
# (default 3) on loopback, data under ./cluster-data, then spreads the shards
# over the nodes (`rebalance`). Ctrl-C stops everything. The nodes' client
# ports are 7170, 7270, ... (admin 7171, 7271, ...; cluster 7172, 7272, ...),
# each with --dev-login, so the browser page at http://127.0.0.1:7170 signs
# in by name. Logs: cluster-data/*.log. See docs/cluster.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-3}"
root="${CLUSTER_DATA:-$PWD/cluster-data}"
bin=build/app/switchboard
if [[ ! -x "$bin" ]]; then
  scripts/deps.sh
  cmake -S . -B build -G Ninja >/dev/null
  ninja -C build switchboard
fi
command -v etcd >/dev/null || { echo "etcd is missing: scripts/deps.sh installs it" >&2; exit 1; }
mkdir -p "$root"
secret_file="$root/jwt_secret"
[[ -s "$secret_file" ]] || openssl rand -hex 32 >"$secret_file"
export SWITCHBOARD_JWT_SECRET="$(cat "$secret_file")"  # one secret for every node

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

etcd --name sb --data-dir "$root/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster sb=http://127.0.0.1:2380 >"$root/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  curl -fs http://127.0.0.1:2379/health >/dev/null 2>&1 && break
  sleep 0.2
done

for i in $(seq "$n"); do
  base=$((7070 + 100 * i))
  "$bin" serve --node-id "n$i" --etcd http://127.0.0.1:2379 \
    --listen "127.0.0.1:$base" --admin-listen "127.0.0.1:$((base + 1))" \
    --cluster-listen "127.0.0.1:$((base + 2))" \
    --data-dir "$root/n$i" --dev-login >"$root/n$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$base/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
done

admin() { "$bin" admin --node 127.0.0.1:7171 --token "$(cat "$root/n1/admin_token")" -c "$*"; }
admin rebalance
admin nodes
echo "cluster of $n nodes up: clients on 127.0.0.1:7170..$((7070 + 100 * n)); Ctrl-C stops it"
wait
