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
CMD ["node", "--import", "tsx", "src/server.ts"]
