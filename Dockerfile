# xrpl-overlay in a container. The steps are the README's set-up: build the package with `npm pack`,
# install it with `npm install -g`, run `xrpl-overlay --conf …`.
#   docker build -t xrpl-overlay .
#   docker run -d -p 51235:51235 -v xrpl-overlay-data:/var/lib/xrpl-overlay xrpl-overlay
# Mount your own configuration over /etc/xrpl-overlay/xrpl-overlay.cfg to change it.

FROM node:20-slim AS build
WORKDIR /src
COPY . .
RUN npm ci && npm pack

FROM node:20-slim
COPY --from=build /src/xrpl-overlay-*.tgz /tmp/
RUN npm install -g /tmp/xrpl-overlay-*.tgz && rm /tmp/xrpl-overlay-*.tgz \
 && install -d -o node -g node -m 0700 /var/lib/xrpl-overlay \
 && install -D -m 0644 "$(npm prefix -g)/lib/node_modules/xrpl-overlay/config/default.cfg" /etc/xrpl-overlay/xrpl-overlay.cfg
USER node
VOLUME /var/lib/xrpl-overlay
EXPOSE 51235
ENTRYPOINT ["xrpl-overlay", "--conf", "/etc/xrpl-overlay/xrpl-overlay.cfg", "--data-dir", "/var/lib/xrpl-overlay"]
