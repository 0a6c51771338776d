# The cascade service: one image, two roles (`webhook` receiver and `worker`), chosen by the command.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/client/package.json packages/client/
COPY packages/simulator/package.json packages/simulator/
COPY packages/cascade/package.json packages/cascade/
RUN npm ci --no-audit --no-fund
COPY packages packages
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 8000
ENTRYPOINT ["node", "packages/cascade/dist/cli.js"]
CMD ["webhook"]
