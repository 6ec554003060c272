#!/bin/sh
# nginx.sh - a real nginx (auth_request) in front of the application, with
# the shipped doc/nginx/rolegate.conf: the gateway battery (lib.sh), and
# the example's count of the lines a reader must change.
set -u
. "$(dirname "$0")/lib.sh"

need_nginx

EXAMPLE="$top_srcdir/doc/nginx/rolegate.conf"
expect_count "the example" "$EXAMPLE"

start_gateway_rolegated
start_upstream

N="$T/nginx"
mkdir -p "$N/tmp" "$N/logs"
printf 'olga:{PLAIN}secret\nowen:{PLAIN}secret\n' >"$N/htpasswd"
write_nginx() {
	sed -e "s|listen 80;|listen 127.0.0.1:$GPORT;|" \
		-e "s|server_name app.example.com;|server_name localhost;|" \
		-e "s|server 127.0.0.1:8470;|server 127.0.0.1:$PORT;|" \
		-e "s|http://127.0.0.1:8080;|http://127.0.0.1:$UPORT;|" \
		-e "s|/etc/nginx/app.htpasswd|$N/htpasswd|" \
		"$EXAMPLE" >"$N/example.conf"
	{
		nginx_prologue "$N"
		printf '\tinclude %s;\n}\n' "$N/example.conf"
	} >"$N/nginx.conf"
}

# nginx before 1.19.5 has no -e: it then complains about its default log.
E=""
"$NGINX" -h 2>&1 | grep -q -- ' -e filename' && E="-e $N/logs/error.log"
# shellcheck disable=SC2086
start_gateway nginx write_nginx "$N/logs/stdout" \
	"$NGINX" -p "$N" -c "$N/nginx.conf" $E -g 'daemon off;'
expect_marked "the example" "$EXAMPLE" "$N/example.conf"

battery nginx
battery_down nginx
stop_gateway
finish
