// A page built by Vite from the installed package, as a site under a strict policy would ship it.
import 'multi-cloud-uploader';

const violations = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));
window.cspViolations = violations;

const endpoint = new URLSearchParams(location.search).get('endpoint');
for (const uploader of document.querySelectorAll('multi-cloud-uploader')) uploader.endpoint = endpoint;
document.querySelector('#no-checksum').adapterOptions = { checksum: 'none' };
