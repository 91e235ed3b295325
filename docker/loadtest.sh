#!/bin/sh
# Entry point of the compose `loadtest` service: bin/tandem-load (the bundled load test) sent through the front load
# balancer, with the leak check asked of every controller and overshoot read from every invoker.
#   loadtest CONTROLLER_NAME [tandem-load options...]
# Runs in the image (/opt/tandem/bin/loadtest next to /opt/tandem/bin/tandem-load) and from a checkout
# (docker/loadtest.sh, using bin/tandem-load), which is how ComposeTopologyIT runs it.
# CONTROLLER_NAME is resolved now (every A record: one per controller container), so the leak check covers all of
# them however the service was scaled. ADMIN_TOKEN (and INVOKER_TOKEN, when the invokers use one) come from the
# environment, never from the command line.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
load=$here/tandem-load
[ -x "$load" ] || load=$here/../bin/tandem-load
name=${1:?usage: loadtest CONTROLLER_NAME [tandem-load options]}
shift
admins=$(getent ahostsv4 "$name" | awk '{print $1}' | sort -u | sed 's|.*|http://&:3234|' | paste -sd, -)
if [ -z "$admins" ]; then
  echo "loadtest: $name does not resolve; is the controller service up?" >&2
  exit 2
fi
echo "loadtest: leak check on $admins" >&2
if [ -n "${INVOKER_TOKEN:-}" ]; then
  set -- --invoker-token "$INVOKER_TOKEN" "$@"
fi
exec "$load" --admin "$admins" --admin-token "${ADMIN_TOKEN:?}" "$@"
