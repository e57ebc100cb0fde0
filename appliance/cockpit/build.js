#!/usr/bin/env node
// Builds the SBC page into dist/opensbc/ (index.html, index.js, index.css, manifest.json),
// the way cockpit-project/starter-kit does with esbuild: one bundle of src/index.jsx with
// React and PatternFly. The page loads the system's ../base1/cockpit.js (global `cockpit`)
// and uses the shell's fonts (../../static/fonts), as Cockpit's own pages do.
//
//   node build.js            build once (NODE_ENV=production: minified, no source map)
//   node build.js --watch    rebuild when src/ changes
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

import esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, 'dist', 'opensbc');
const production = process.env.NODE_ENV === 'production';
const watch = process.argv.includes('--watch');

// PatternFly's @font-face rules name ./assets/fonts/<family>/<file>.woff2; the Cockpit
// shell serves the same files at /cockpit/static/fonts/<file>.woff2.
const cockpitFonts = {
    name: 'cockpit-fonts',
    setup(build) {
        build.onResolve({ filter: /\.woff2?$/ }, args => ({
            path: '../../static/fonts/' + path.basename(args.path),
            external: true,
        }));
    },
};

// Starts from an empty folder, copies the files esbuild does not produce.
const assets = {
    name: 'assets',
    setup(build) {
        build.onStart(() => {
            fs.rmSync(outdir, { recursive: true, force: true });
        });
        build.onEnd(result => {
            if (result.errors.length)
                return;
            for (const name of ['index.html', 'manifest.json'])
                fs.copyFileSync(path.join(here, 'src', name), path.join(outdir, name));
            console.log(`${new Date().toTimeString().split(' ')[0]}: built ${path.relative(process.cwd(), outdir) || '.'}`);
        });
    },
};

const context = await esbuild.context({
    absWorkingDir: here,
    entryPoints: { index: 'src/index.jsx' },
    bundle: true,
    outdir,
    target: ['es2020'],
    loader: { '.js': 'jsx', '.svg': 'dataurl', '.png': 'dataurl', '.jpg': 'dataurl' },
    define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
    minify: production,
    legalComments: 'external',
    logLevel: 'warning',
    plugins: [cockpitFonts, assets],
});

try {
    await context.rebuild();
} catch (e) {
    if (!watch)
        process.exit(1);
}

if (watch) {
    await context.watch();
    await new Promise(() => {});
}
await context.dispose();
