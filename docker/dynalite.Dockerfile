# dynalite, the same pinned version as the tests and the local run (package-lock.json).
FROM node:20-alpine
WORKDIR /app
COPY package.json package-lock.json ./
COPY load-tests/dynalite/survive-aborted-requests.js ./
RUN npm ci --no-audit --no-fund --omit=dev || npm ci --no-audit --no-fund
EXPOSE 4567
ENTRYPOINT ["node", "--require", "./survive-aborted-requests.js", "node_modules/dynalite/cli.js", "--port", "4567", "--createTableMs", "0"]
