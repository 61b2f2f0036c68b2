import '@mantine/core/styles.css';
import './styles.css';
import './i18n';
import { createTheme, MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';

const theme = createTheme({ primaryColor: 'blue', defaultRadius: 'md' });
const queries = new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: true } } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <QueryClientProvider client={queries}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);

// Installable app and notifications while the portal is closed (web/public/sw.js).
// Browsers allow service workers on HTTPS and on localhost only.
if ('serviceWorker' in navigator && import.meta.env.PROD && window.isSecureContext)
  void navigator.serviceWorker.register('/sw.js').catch(() => undefined);
