# Build: compile TypeScript to dist/ with tsc (dev dependencies live only in this stage).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Run: production dependencies and compiled JavaScript only; no TypeScript sources, no tsx.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/migrations ./dist/migrations
# the embedded database's template: a new data folder starts as a copy of it, not by initdb (README, "Memory")
COPY --from=build /app/dist/pglite-template ./dist/pglite-template
COPY fixtures ./fixtures
COPY openapi ./openapi
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
# the flags of `npm start`: see "Memory" in the README; `node dist/src/cli/main.js` is the CLI
CMD ["node", "--max-semi-space-size=8", "--liftoff-only", "dist/src/server.js"]
