# Gateway and worker image: the same build, a different command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# tsc does not copy the YAML; the catalog service reads it from <root>/src/catalog.
COPY --from=build /app/src/catalog/default-catalog.yaml ./src/catalog/default-catalog.yaml
USER node
EXPOSE 8080
CMD ["node", "--heap-growing-percent=50", "dist/src/main.js"]
