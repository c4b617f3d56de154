import { bootstrapApplication } from '@angular/platform-browser';

import { App } from './app/app';
import { appConfig } from './app/app.config';
import { loadRuntimeConfig } from './app/config/runtime-config';

// config.json is served beside the app, so one build serves the dev issuer and a real
// Auth0 tenant alike.
loadRuntimeConfig()
  .then((config) => bootstrapApplication(App, appConfig(config)))
  .catch((error: unknown) => {
    document.body.textContent = `The app cannot start: ${String(error)}`;
  });
