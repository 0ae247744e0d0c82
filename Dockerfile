# The Floodgate image for sharded studies on Kubernetes (docs/guide/sharding.md), built from the
# packed package: exactly what `npm install` gives a user, nothing else from the work tree.
#
#   npm pack                                  # writes floodgate-sim-floodgate-0.1.0.tgz
#   docker build -t floodgate:0.1.0 .         # .dockerignore sends only that file
#   docker run --rm floodgate:0.1.0 --version
#
# The manifests that `--k8s` writes run it as user 1000 (node) with the command's arguments.
FROM node:20-bookworm-slim
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false
COPY floodgate-sim-floodgate-*.tgz /tmp/
RUN npm install --global --omit=dev /tmp/floodgate-sim-floodgate-*.tgz \
 && rm /tmp/floodgate-sim-floodgate-*.tgz \
 && npm cache clean --force
USER 1000:1000
WORKDIR /home/node
ENTRYPOINT ["floodgate"]
CMD ["--help"]
