#!/bin/sh
# Writes the per-deployment include files of docker/nginx/nginx.conf (see its header) into
# $SPOTIK_NGINX_CONF_DIR (a tmpfs at /etc/nginx/spotik.d in the container). Run by the nginx
# image's /docker-entrypoint.sh before nginx starts; exits non-zero (and nginx does not start)
# when only half of a certificate pair is present.
#   SPOTIK_BACKEND     host:port of the backend service (Docker DNS name)   backend:3000
#   NGINX_RESOLVER     DNS server re-asked every 5 s, so scaled replicas join 127.0.0.11
#   SPOTIK_WEB_ROOT    directory of a web client build, served at /          /srv/spotik-web
#   NGINX_SSL_DIR      fullchain.pem + privkey.pem here turn TLS on          /etc/nginx/ssl
#   NGINX_HTTP_PORT / NGINX_HTTPS_PORT   ports nginx listens on inside      8080 / 8443
#   PUBLIC_HTTPS_PORT  HTTPS port clients see, for the HTTP redirect         443
set -eu

conf_dir="${SPOTIK_NGINX_CONF_DIR:-/etc/nginx/spotik.d}"
backend="${SPOTIK_BACKEND:-backend:3000}"
resolver="${NGINX_RESOLVER:-127.0.0.11}"
web_root="${SPOTIK_WEB_ROOT:-/srv/spotik-web}"
ssl_dir="${NGINX_SSL_DIR:-/etc/nginx/ssl}"
http_port="${NGINX_HTTP_PORT:-8080}"
https_port="${NGINX_HTTPS_PORT:-8443}"
public_https_port="${PUBLIC_HTTPS_PORT:-443}"
me="40-spotik-config"

mkdir -p "$conf_dir"
rm -f "$conf_dir"/site.conf "$conf_dir"/listen.conf "$conf_dir"/extra-*.conf

# Runtime resolution (proxy_pass with a variable) re-reads the service's addresses, so
# containers added by `--scale` join the pool and removed ones leave it.
cat >"$conf_dir/site.conf" <<CONF
resolver $resolver valid=5s ipv6=off;
resolver_timeout 3s;
map \$host \$spotik_backend { default $backend; }
map \$host \$spotik_web_root { default $web_root; }
CONF

cert="$ssl_dir/fullchain.pem"
key="$ssl_dir/privkey.pem"
if [ -f "$cert" ] && [ -f "$key" ]; then
    cat >"$conf_dir/listen.conf" <<CONF
listen $https_port ssl http2;
ssl_certificate $cert;
ssl_certificate_key $key;
ssl_protocols TLSv1.2 TLSv1.3;
ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
ssl_prefer_server_ciphers off;
ssl_session_cache shared:spotik_tls:10m;
ssl_session_timeout 1d;
ssl_session_tickets off;
CONF
    redirect_port=""
    [ "$public_https_port" = "443" ] || redirect_port=":$public_https_port"
    cat >"$conf_dir/extra-redirect.conf" <<CONF
server {
    listen $http_port default_server;
    server_name _;
    location = /nginx-health {
        access_log off;
        default_type application/json;
        return 200 '{"status":"ok"}';
    }
    location / {
        return 301 https://\$host$redirect_port\$request_uri;
    }
}
CONF
    echo "$me: TLS on port $https_port with $cert; port $http_port redirects to HTTPS"
elif [ -f "$cert" ] || [ -f "$key" ]; then
    echo "$me: $ssl_dir holds only one of fullchain.pem and privkey.pem; add both or neither" >&2
    exit 1
else
    echo "listen $http_port default_server;" >"$conf_dir/listen.conf"
    echo "$me: no certificate in $ssl_dir: plain HTTP on port $http_port (run scripts/make-self-signed-cert.sh for a local pair)"
fi
