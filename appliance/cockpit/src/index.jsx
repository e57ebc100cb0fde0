/* The SBC page's entry point: PatternFly's base CSS, the shell's theme, the app. */
import '@patternfly/patternfly/patternfly-base.css';
import './dark-theme.js';

import React from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './app.jsx';
import * as format from './format.js';

// The pure formatting functions, for the browser tests (as the old page did).
window.OpenSBC = format;

document.addEventListener('DOMContentLoaded', () => {
    createRoot(document.getElementById('app')).render(<App />);
});
