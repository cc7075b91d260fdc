FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY migrations ./migrations
COPY fixtures ./fixtures
COPY openapi ./openapi
COPY tsconfig.json ./
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
# the flags of `npm start`: see "Memory" in the README
CMD ["node", "--max-semi-space-size=8", "--optimize-for-size", "--import", "tsx", "src/server.ts"]
