import { createApp } from 'vue';
import App from './App.vue';

createApp(App, { endpoint: new URLSearchParams(location.search).get('endpoint') ?? '/api' }).mount('#app');
