// Vite injects imported style sheets into the page; they export nothing the bench uses.
declare module '*.css';
