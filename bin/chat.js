#!/usr/bin/env node
// The installed command. `npm install` builds src/ into dist/ (the `prepare` script).
import "../dist/bin.js"
