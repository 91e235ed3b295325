#!/bin/sh
# Docker HEALTHCHECK for both roles (the image has one jar and one HEALTHCHECK line).
#   controller: GET /ready on the admin port  -> 200 once state is installed and invokers are checked
#   invoker:    GET /v1/health on its port    -> 200 while it serves
# The address is BIND_ADDR, or loopback when the process binds every interface.
addr=${BIND_ADDR:-127.0.0.1}
case "$addr" in 0.0.0.0|::|'') addr=127.0.0.1 ;; esac
if [ "${ROLE:-controller}" = invoker ]; then
  url="http://$addr:${INVOKER_PORT:-8085}/v1/health"
  if [ -n "${INVOKER_TOKEN:-}" ]; then
    exec curl -fsS -o /dev/null --max-time 2 -H "Authorization: Bearer $INVOKER_TOKEN" "$url"
  fi
else
  url="http://$addr:${ADMIN_PORT:-3234}/ready"
fi
exec curl -fsS -o /dev/null --max-time 2 "$url"
